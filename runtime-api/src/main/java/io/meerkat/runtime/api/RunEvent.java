package io.meerkat.runtime.api;

import java.time.Duration;
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

    /**
     * The run failed. With {@code recoverable}, some of its inputs went back to their lanes to be retried
     * after a backoff; the others (if any) were abandoned, and their waiters told so.
     */
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

    /**
     * The run went on past its session's {@code maxRunDuration} and was cancelled; its inputs are abandoned
     * ({@link AbandonReason#TIMED_OUT}). Takes the place of {@link RunCancelled} for that run.
     */
    record RunTimedOut(RunId runId, Duration limit) implements RunEvent {
        public RunTimedOut {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(limit, "limit");
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
     * that ends with {@link RunFailed}, {@link RunCancelled} or {@link RunTimedOut} are not withdrawn.
     */
    record OutputDelta(RunId runId, String text) implements RunEvent {
        public OutputDelta {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(text, "text");
        }
    }
}
