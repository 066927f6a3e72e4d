package io.meerkat.runtime.api;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The answer to a submit: what admission did, and a completion that ends with exactly one
 * {@link CompletionOutcome}. The completion never hangs: stopping, resetting or destroying the
 * session, or closing the runtime, resolves it {@link CompletionOutcome.RuntimeTerminated}.
 *
 * <p><b>Which thread completes it.</b> The completion is completed by the runtime, usually on the
 * session's runtime loop thread (a shared pool), otherwise on the thread that stopped, reset, destroyed
 * or closed the session. Dependent stages added with the non-async methods ({@code thenApply},
 * {@code thenAccept}, {@code whenComplete}, ...) run right there (or, as {@link java.util.concurrent.CompletableFuture}
 * does, on another thread that is completing stages of the same future at that moment), so a slow or
 * blocking callback holds up that session's loop (and, on a shared pool, other sessions). Use the {@code *Async} variants with
 * your own executor for anything more than a quick hand-off, e.g.
 * {@code submission.completion().thenAcceptAsync(this::handle, myExecutor)}; or block with
 * {@code join()}/{@code get()} on your own thread.
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
