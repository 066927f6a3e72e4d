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

    /** The run finished and consumed its inputs. */
    record RunCompleted(RunId runId, List<InputId> consumedInputIds) implements RunEvent {
        public RunCompleted {
            Objects.requireNonNull(runId, "runId");
            consumedInputIds = List.copyOf(consumedInputIds);
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
}
