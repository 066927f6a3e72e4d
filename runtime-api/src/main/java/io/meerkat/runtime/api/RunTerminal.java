package io.meerkat.runtime.api;

import java.util.Objects;

/** How a run ended its turn, when it ended one. */
public sealed interface RunTerminal {

    /** The turn produced a result. */
    record Result(RunResult result) implements RunTerminal {
        public Result {
            Objects.requireNonNull(result, "result");
        }
    }

    /** The turn waits for the caller to answer a tool call. */
    record CallbackPending(String toolName, String arguments) implements RunTerminal {
        public CallbackPending {
            Objects.requireNonNull(toolName, "toolName");
            Objects.requireNonNull(arguments, "arguments");
        }
    }
}
