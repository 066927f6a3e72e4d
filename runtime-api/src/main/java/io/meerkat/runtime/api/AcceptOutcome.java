package io.meerkat.runtime.api;

import java.util.Objects;

/** What admission did with a submitted input. Rejections are reported as exceptions instead. */
public sealed interface AcceptOutcome {

    /** The id under which the input is tracked (the existing one for a duplicate). */
    InputId inputId();

    /**
     * The input was stored and queued (or consumed on acceptance).
     *
     * @param inputId the input's id
     * @param state   its lifecycle state right after admission
     */
    record Accepted(InputId inputId, InputLifecycleState state) implements AcceptOutcome {
        public Accepted {
            Objects.requireNonNull(inputId, "inputId");
            Objects.requireNonNull(state, "state");
        }
    }

    /**
     * An input with the same idempotency key exists; the new one was not stored.
     *
     * @param duplicateId the id the submitter used
     * @param inputId     the existing input
     */
    record Deduplicated(InputId duplicateId, InputId inputId) implements AcceptOutcome {
        public Deduplicated {
            Objects.requireNonNull(duplicateId, "duplicateId");
            Objects.requireNonNull(inputId, "inputId");
        }
    }
}
