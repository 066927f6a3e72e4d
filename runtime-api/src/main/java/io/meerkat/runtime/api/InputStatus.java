package io.meerkat.runtime.api;

import java.util.List;

/**
 * A snapshot of one input as the session tracks it.
 *
 * @param inputId       the input
 * @param kind          its kind
 * @param state         its lifecycle state now
 * @param lane          the lane it was admitted to
 * @param attempts      how many runs have staged it
 * @param abandonReason why it was abandoned; {@code null} unless {@code state} is ABANDONED
 * @param supersededBy  the input that superseded or absorbed it; {@code null} if none
 * @param history       every transition, oldest first
 */
public record InputStatus(
        InputId inputId,
        InputKind kind,
        InputLifecycleState state,
        Lane lane,
        int attempts,
        AbandonReason abandonReason,
        InputId supersededBy,
        List<InputTransitionRecord> history) {

    public InputStatus {
        history = List.copyOf(history);
    }
}
