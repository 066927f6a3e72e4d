package io.meerkat.runtime.api;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The answer to a submit: what admission did, and a completion that ends with exactly one
 * {@link CompletionOutcome}. The completion never hangs: stopping, resetting or destroying the
 * session, or closing the runtime, resolves it {@link CompletionOutcome.RuntimeTerminated}.
 *
 * @param outcome    accepted or deduplicated
 * @param completion the caller's waiter; already complete if the input was finished at admission
 */
public record Submission(AcceptOutcome outcome, CompletableFuture<CompletionOutcome> completion) {

    public Submission {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(completion, "completion");
    }

    /** Shorthand for {@code outcome().inputId()}. */
    public InputId inputId() {
        return outcome.inputId();
    }
}
