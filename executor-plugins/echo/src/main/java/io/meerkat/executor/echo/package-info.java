/**
 * The {@code echo} executor plugin: replies with the input text put into a template, after an optional
 * delay, streamed as {@code chunks} output deltas spread over it, failing a configurable share of runs
 * ({@link io.meerkat.executor.echo.EchoSettings}). It does nothing on the host, so every key is
 * client-settable; it serves demos, tests and load runs.
 *
 * <p>Owned by executor-plugins/echo; loaded by the plugin host. Thread rule: each executor is called by
 * its session's loop, one call at a time; delays and the deltas spread over them run on the factory's
 * one shared timer thread (never on the loop), which the factory's {@code close()} ends when the plugin
 * stops. The failure draw uses a per-session {@code Random}, seeded from {@code seed} or at random.
 */
package io.meerkat.executor.echo;
