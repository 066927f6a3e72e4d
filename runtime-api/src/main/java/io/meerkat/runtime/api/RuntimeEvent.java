package io.meerkat.runtime.api;

import java.util.Objects;

/** Something observable that happened in a session; delivered inside a {@link RuntimeEventEnvelope}. */
public sealed interface RuntimeEvent {

    /**
     * An input changed lifecycle state.
     *
     * @param inputId the input
     * @param from    the state before; {@code null} when the input was just admitted
     * @param to      the state after
     * @param reason  why, for abandons and rollbacks; else {@code null}
     */
    record InputTransitioned(InputId inputId, InputLifecycleState from, InputLifecycleState to,
                             String reason) implements RuntimeEvent {
        public InputTransitioned {
            Objects.requireNonNull(inputId, "inputId");
            Objects.requireNonNull(to, "to");
        }
    }

    /**
     * A submitted input matched an existing one by idempotency key and was not stored.
     *
     * @param duplicateId the id the submitter used
     * @param existingId  the input it joined
     */
    record InputDeduplicated(InputId duplicateId, InputId existingId) implements RuntimeEvent {
        public InputDeduplicated {
            Objects.requireNonNull(duplicateId, "duplicateId");
            Objects.requireNonNull(existingId, "existingId");
        }
    }

    /** Something happened to a run. */
    record RunLifecycle(RunEvent event) implements RuntimeEvent {
        public RunLifecycle {
            Objects.requireNonNull(event, "event");
        }
    }

    /**
     * The session's phase changed.
     *
     * @param from       the phase before
     * @param to         the phase after
     * @param transition the snake_case name of the transition that caused it
     */
    record StateChanged(RuntimeState from, RuntimeState to, String transition) implements RuntimeEvent {
        public StateChanged {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(transition, "transition");
        }
    }

    /**
     * A lifecycle operation was carried out on the session.
     *
     * @param change what was done
     */
    record Topology(TopologyChange change) implements RuntimeEvent {
        public Topology {
            Objects.requireNonNull(change, "change");
        }
    }

    /** The lifecycle operations reported by {@link Topology}. */
    enum TopologyChange {
        CREATED,
        RETIRED,
        RESET,
        RECYCLED,
        STOPPED,
        DESTROYED
    }
}
