package io.meerkat.runtime.api;

import java.util.Objects;

/**
 * An input to the runtime control machine: a request to move a session from one
 * {@link RuntimeState} to another. Which transitions are legal is decided by the machine alone; an
 * illegal one fails with {@link IllegalTransitionException} and changes nothing.
 */
public sealed interface RuntimeTransition {

    /** The snake_case name used in logs, events and errors. */
    default String name() {
        String simple = getClass().getSimpleName();
        StringBuilder out = new StringBuilder(simple.length() + 8);
        for (int i = 0; i < simple.length(); i++) {
            char c = simple.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** INITIALIZING → IDLE. */
    record Initialize() implements RuntimeTransition {
    }

    /** IDLE → ATTACHED: a runtime loop took ownership of an executor. */
    record AttachExecutor() implements RuntimeTransition {
    }

    /** ATTACHED → IDLE: the runtime loop let go of its executor. */
    record DetachExecutor() implements RuntimeTransition {
    }

    /**
     * Start a run; legal only when no run is active.
     *
     * @param runId the run that becomes active
     */
    record BeginRun(RunId runId) implements RuntimeTransition {
        public BeginRun {
            Objects.requireNonNull(runId, "runId");
        }
    }

    /**
     * The active run finished; the session returns to the phase it had before the run.
     *
     * @param runId must equal the active run
     */
    record RunCompleted(RunId runId) implements RuntimeTransition {
        public RunCompleted {
            Objects.requireNonNull(runId, "runId");
        }
    }

    /**
     * The active run failed; the session returns to the phase it had before the run.
     *
     * @param runId must equal the active run
     */
    record RunFailed(RunId runId) implements RuntimeTransition {
        public RunFailed {
            Objects.requireNonNull(runId, "runId");
        }
    }

    /**
     * The active run was cancelled; the session returns to the phase it had before the run.
     *
     * @param runId must equal the active run
     */
    record RunCancelled(RunId runId) implements RuntimeTransition {
        public RunCancelled {
            Objects.requireNonNull(runId, "runId");
        }
    }

    /** New work asks for admission. */
    record SubmitWork() implements RuntimeTransition {
    }

    /**
     * Admission accepted an input onto a lane.
     *
     * @param lane the lane the input joined
     */
    record AdmissionAccepted(Lane lane) implements RuntimeTransition {
        public AdmissionAccepted {
            Objects.requireNonNull(lane, "lane");
        }
    }

    /** Admission rejected an input. */
    record AdmissionRejected() implements RuntimeTransition {
    }

    /** Admission matched an existing input by idempotency key. */
    record AdmissionDeduplicated() implements RuntimeTransition {
    }

    /** Enter recovery; from RUNNING this also forgets the active run. */
    record RecoverRequested() implements RuntimeTransition {
    }

    /** RECOVERING → IDLE. */
    record RecoverySucceeded() implements RuntimeTransition {
    }

    /** RECOVERING → IDLE, asked for by an operator. */
    record ResumeRequested() implements RuntimeTransition {
    }

    /** Refuse new input, keep draining; an active run stays active. */
    record RetireRequested() implements RuntimeTransition {
    }

    /** Back to IDLE, abandoning all work; never while RUNNING. */
    record ResetRequested() implements RuntimeTransition {
    }

    /** To STOPPED from any non-terminal phase. */
    record StopRequested() implements RuntimeTransition {
    }

    /** To DESTROYED from any phase but DESTROYED. */
    record DestroyRequested() implements RuntimeTransition {
    }

    /** A tool reported progress from outside a run; changes no phase. */
    record ExternalToolDeltaReceived() implements RuntimeTransition {
    }

    /** Rebuild the driver keeping its work: to RECOVERING, only when no run is active. */
    record RecycleRequested() implements RuntimeTransition {
    }

    /** RECOVERING → IDLE after a recycle. */
    record RecycleSucceeded() implements RuntimeTransition {
    }
}
