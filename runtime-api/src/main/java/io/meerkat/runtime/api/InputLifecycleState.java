package io.meerkat.runtime.api;

/**
 * Where one input is in its life. The normal path is ACCEPTED → QUEUED → STAGED → APPLIED →
 * APPLIED_PENDING_CONSUMPTION → CONSUMED; a failed run sends STAGED back to QUEUED. The four
 * terminal states accept no further transition.
 */
public enum InputLifecycleState {
    ACCEPTED,
    QUEUED,
    STAGED,
    APPLIED,
    APPLIED_PENDING_CONSUMPTION,
    CONSUMED,
    SUPERSEDED,
    COALESCED,
    ABANDONED;

    /** {@code true} for CONSUMED, SUPERSEDED, COALESCED and ABANDONED. */
    public boolean isTerminal() {
        return this == CONSUMED || this == SUPERSEDED || this == COALESCED || this == ABANDONED;
    }
}
