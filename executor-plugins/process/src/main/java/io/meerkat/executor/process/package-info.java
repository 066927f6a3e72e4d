/**
 * The {@code process} executor plugin: each run is one run of an operator-configured agent program,
 * spoken to over stdin/stdout in the JSON-lines protocol of {@code PROTOCOL.md}
 * ({@link io.meerkat.executor.process.ProtocolCodec}). Every key is the operator's
 * ({@link io.meerkat.executor.process.ProcessSettings}): a client cannot choose what runs on the host.
 *
 * <p>Owned by executor-plugins/process; loaded by the plugin host. Thread rules: an executor is called
 * by its session's loop, one call at a time, and never blocks; a run's program is started and read on
 * the factory's reader pool, and timeouts and grace periods run on the factory's one timer thread
 * (never the JDK-wide one, which would keep the plugin's class loader alive). A run's outcome settles
 * exactly once; whatever ends it also ends the program's whole process tree
 * ({@link io.meerkat.executor.process.ProcessTree}). The factory's {@code close()} kills every program
 * still alive ({@link io.meerkat.executor.process.LiveRuns}), and a launcher killed outright leaves a
 * record on disk from which the next start ends the programs it left
 * ({@link io.meerkat.executor.process.AgentLedger}).
 */
package io.meerkat.executor.process;
