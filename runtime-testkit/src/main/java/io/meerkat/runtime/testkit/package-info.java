/**
 * Conformance kits for executor authors: extend
 * {@link io.meerkat.runtime.testkit.ExecutorConformanceTest} to check an executor against the
 * {@code CoreExecutor} contract, and {@link io.meerkat.runtime.testkit.PluginArchiveTest} to check the
 * packaged plugin archive loads, runs and unloads cleanly. For store authors:
 * {@link io.meerkat.runtime.testkit.RuntimeStoreConformanceTest} checks a
 * {@code RuntimeStore} against its contract, including across a close and a reopen.
 *
 * <p>Owned by runtime-testkit; used by the executor plugins' own tests and by third-party plugin
 * authors (test scope). Thread rule: the kit calls the executor the way a session's loop does, one call
 * at a time, each on a kit thread with a deadline ({@code patience()}), so an executor that blocks
 * fails its test instead of hanging the build.
 */
package io.meerkat.runtime.testkit;
