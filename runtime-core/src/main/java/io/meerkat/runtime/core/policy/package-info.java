/**
 * The policies an embedder sets on a runtime: how failed runs are retried ({@link
 * io.meerkat.runtime.core.policy.RetryPolicy}) and where delayed work is scheduled ({@link
 * io.meerkat.runtime.core.policy.DelayScheduler}). Immutable values and a functional interface; the
 * runtime's loops use them, nothing here holds state.
 */
package io.meerkat.runtime.core.policy;
