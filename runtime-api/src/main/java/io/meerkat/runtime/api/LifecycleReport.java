package io.meerkat.runtime.api;

/**
 * What a lifecycle operation ({@code retire}, {@code reset}, {@code destroy}, {@code recycle}) did.
 *
 * @param state            the session's phase afterwards
 * @param inputsAbandoned  inputs abandoned by the operation
 * @param inputsPending    non-terminal inputs left to drain (retire) or requeued (recycle)
 * @param waitersResolved  completions resolved by the operation
 */
public record LifecycleReport(RuntimeState state, int inputsAbandoned, int inputsPending, int waitersResolved) {
}
