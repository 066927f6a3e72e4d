/**
 * The performance figures of {@code BENCHMARKS.md}: JMH benchmarks (throughput, control latency,
 * session creation, plugin load, durable and HTTP submits) and plain {@code main} measurements
 * (idle-session memory, launcher start-up), each against a baseline measured in the same run.
 *
 * <p>Owned by benchmarks; run by hand from the shaded jar, never by the build's tests. Each class's
 * Javadoc says exactly what its timed region contains. Thread rule: JMH state is per trial or per
 * benchmark as annotated; a benchmark that hands work to another thread (a runtime loop, a consumer)
 * waits for it through a future or a volatile counter.
 */
package io.meerkat.benchmarks;
