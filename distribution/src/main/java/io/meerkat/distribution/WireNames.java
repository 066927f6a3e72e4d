package io.meerkat.distribution;

import io.meerkat.runtime.api.CompletionOutcome;
import java.util.Locale;

/**
 * How the launcher names runtime values on the wire (HTTP JSON, metrics labels, the demo's timeline):
 * lower snake case, as in DESIGN §9.
 */
public final class WireNames {

    private WireNames() {
    }

    /** {@code completed}, {@code completed_without_result}, {@code callback_pending}, {@code abandoned} or {@code runtime_terminated}. */
    public static String outcome(CompletionOutcome outcome) {
        if (outcome instanceof CompletionOutcome.Completed) {
            return "completed";
        } else if (outcome instanceof CompletionOutcome.CompletedWithoutResult) {
            return "completed_without_result";
        } else if (outcome instanceof CompletionOutcome.CallbackPending) {
            return "callback_pending";
        } else if (outcome instanceof CompletionOutcome.Abandoned) {
            return "abandoned";
        } else if (outcome instanceof CompletionOutcome.RuntimeTerminated) {
            return "runtime_terminated";
        }
        throw new IllegalArgumentException("unknown outcome " + outcome);
    }

    /** An enum constant in lower case: {@code RUNNING} → {@code running}. */
    public static String state(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
