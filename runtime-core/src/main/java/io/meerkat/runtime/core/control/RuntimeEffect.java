package io.meerkat.runtime.core.control;

import java.util.Objects;

/**
 * Work the {@link RuntimeControlMachine} asks its caller to carry out after a successful transition.
 * The machine itself has no side effects; effects are returned in the order they must be performed.
 */
public sealed interface RuntimeEffect {

    /** Hand the run primitive of the run just begun to the executor. */
    record SubmitRunPrimitive() implements RuntimeEffect {
    }

    /** Decide whether submitted work is admitted, rejected or deduplicated. */
    record ResolveAdmission() implements RuntimeEffect {
    }

    /** Put the admitted input into the ingress queue. */
    record SubmitAdmittedIngressEffect() implements RuntimeEffect {
    }

    /** Wake the runtime loop so it looks at its queue. */
    record SignalWake() implements RuntimeEffect {
    }

    /** Ask the runtime loop to process the steer lane now rather than at the next boundary. */
    record SignalImmediateProcess() implements RuntimeEffect {
    }

    /**
     * Publish a runtime notice.
     *
     * @param notice what happened, e.g. {@code "AdmissionRejected"}
     */
    record EmitRuntimeNotice(String notice) implements RuntimeEffect {
        public EmitRuntimeNotice {
            Objects.requireNonNull(notice, "notice");
        }
    }

    /**
     * Carry out a control-plane command on the session.
     *
     * @param command {@code "Retire"}, {@code "Reset"}, {@code "Stop"} or {@code "Destroy"}
     */
    record ApplyControlPlaneCommand(String command) implements RuntimeEffect {
        public ApplyControlPlaneCommand {
            Objects.requireNonNull(command, "command");
        }
    }

    /**
     * Resolve every pending completion as terminated.
     *
     * @param reason {@code "Reset"}, {@code "Stopped"} or {@code "Destroyed"}
     */
    record ResolveCompletionAsTerminated(String reason) implements RuntimeEffect {
        public ResolveCompletionAsTerminated {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Rebuild the session driver while keeping its queued work. */
    record InitiateRecycle() implements RuntimeEffect {
    }
}
