package io.meerkat.runtime.api;

import java.util.List;
import java.util.Objects;

/** What happened to a run, as the runtime loop reports it. */
public sealed interface RunEvent {

    RunId runId();

    /** The run started with the given inputs. */
    record RunStarted(RunId runId, List<InputId> inputIds) implements RunEvent {
        public RunStarted {
            Objects.requireNonNull(runId, "runId");
            inputIds = List.copyOf(inputIds);
        }
    }

    /** The executor applied a boundary. */
    record BoundaryApplied(RunId runId, RunBoundaryReceipt receipt) implements RunEvent {
        public BoundaryApplied {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(receipt, "receipt");
        }
    }

    /**
     * The run finished and consumed its inputs.
     *
     * @param outcome what the run's waiters are told: {@link CompletionOutcome.Completed} with the result,
     *                {@link CompletionOutcome.CompletedWithoutResult} or {@link CompletionOutcome.CallbackPending}
     */
    record RunCompleted(RunId runId, List<InputId> consumedInputIds, CompletionOutcome outcome) implements RunEvent {
        public RunCompleted {
            Objects.requireNonNull(runId, "runId");
            consumedInputIds = List.copyOf(consumedInputIds);
            Objects.requireNonNull(outcome, "outcome");
            if (outcome instanceof CompletionOutcome.Abandoned || outcome instanceof CompletionOutcome.RuntimeTerminated) {
                throw new IllegalArgumentException("a completed run's outcome cannot be " + outcome.wireName());
            }
        }

        /** A run that completed without a result. */
        public RunCompleted(RunId runId, List<InputId> consumedInputIds) {
            this(runId, consumedInputIds, new CompletionOutcome.CompletedWithoutResult());
        }
    }

    /** The run failed; recoverable failures requeue the inputs. */
    record RunFailed(RunId runId, String error, boolean recoverable) implements RunEvent {
        public RunFailed {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(error, "error");
        }
    }

    /** The run was cancelled; its inputs are abandoned. */
    record RunCancelled(RunId runId, String reason) implements RunEvent {
        public RunCancelled {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The executor reported how the run is going (free text, e.g. a subprocess's progress line). */
    record RunProgress(RunId runId, String message) implements RunEvent {
        public RunProgress {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * The executor produced more of the run's output: {@code text} follows the run's previous deltas.
     * Deltas are published in the order the executor emitted them, between the run's start and its end
     * event; what they add up to is the executor's to say (usually the result's text). Deltas of a run
     * that ends with {@link RunFailed} or {@link RunCancelled} are not withdrawn.
     */
    record OutputDelta(RunId runId, String text) implements RunEvent {
        public OutputDelta {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(text, "text");
        }
    }
}
