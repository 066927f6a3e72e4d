package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunTerminal;
import io.meerkat.runtime.core.ingress.InputRecord;

/** What a waiter is told: the outcome of a run's output, or of an input that had already finished. Pure. */
final class Outcomes {

    private Outcomes() {
    }

    /** The outcome of the inputs a run consumed, from the run's terminal. */
    static CompletionOutcome of(CoreApplyOutput output) {
        RunTerminal terminal = output.terminal();
        if (terminal instanceof RunTerminal.Result result) {
            return new CompletionOutcome.Completed(result.result());
        }
        if (terminal instanceof RunTerminal.CallbackPending callback) {
            return new CompletionOutcome.CallbackPending(callback.toolName(), callback.arguments());
        }
        return new CompletionOutcome.CompletedWithoutResult();
    }

    /** The outcome of an input that finished before the registry could be asked. */
    static CompletionOutcome ofFinished(InputRecord record) {
        return switch (record.state()) {
            case CONSUMED -> new CompletionOutcome.CompletedWithoutResult();
            case ABANDONED -> new CompletionOutcome.Abandoned("abandoned: " + record.abandonReason());
            case SUPERSEDED, COALESCED -> new CompletionOutcome.Abandoned(
                    record.state().name().toLowerCase(java.util.Locale.ROOT) + " by " + record.supersededBy());
            default -> throw new IllegalStateException("input " + record.id() + " is not finished");
        };
    }
}
