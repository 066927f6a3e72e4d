package io.meerkat.runtime.api;

import java.util.Objects;

/**
 * How the wait for one input ended. Every completion handed to a submitter ends with exactly one
 * of these; none is left pending when its session stops.
 */
public sealed interface CompletionOutcome {

    /** The snake_case name used on the wire, e.g. {@code "runtime_terminated"}. */
    String wireName();

    /** The run consuming the input produced a result. */
    record Completed(RunResult result) implements CompletionOutcome {
        public Completed {
            Objects.requireNonNull(result, "result");
        }

        @Override
        public String wireName() {
            return "completed";
        }
    }

    /** The run consuming the input ended without a result (e.g. a pure context append). */
    record CompletedWithoutResult() implements CompletionOutcome {
        @Override
        public String wireName() {
            return "completed_without_result";
        }
    }

    /** The run stopped to wait for a tool call that the caller must answer. */
    record CallbackPending(String toolName, String arguments) implements CompletionOutcome {
        public CallbackPending {
            Objects.requireNonNull(toolName, "toolName");
            Objects.requireNonNull(arguments, "arguments");
        }

        @Override
        public String wireName() {
            return "callback_pending";
        }
    }

    /**
     * The input was dropped for good: superseded, cancelled, timed out, or its runs failed (reason
     * starting with {@code "apply failed"}) as often as the retry policy allows, or permanently. A failed
     * run that is retried resolves nothing: the waiter learns the input's final outcome.
     */
    record Abandoned(String reason) implements CompletionOutcome {
        public Abandoned {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String wireName() {
            return "abandoned";
        }
    }

    /** The session stopped, was reset or destroyed, or its loop ended, before the input finished. */
    record RuntimeTerminated(String reason) implements CompletionOutcome {
        public RuntimeTerminated {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String wireName() {
            return "runtime_terminated";
        }
    }
}
