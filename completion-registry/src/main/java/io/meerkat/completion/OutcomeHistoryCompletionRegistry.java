package io.meerkat.completion;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * A {@link CompletionRegistry} that also remembers how recently finished inputs ended, so that a caller
 * who asks after the input finished (an HTTP client polling for a completion, say) still reads its
 * outcome through {@link #finishedOutcome}.
 *
 * <p>Waiters are held by an {@link InMemoryCompletionRegistry}, with all of its guarantees. On top:
 * <ul>
 *   <li>Every outcome given to {@link #resolve} or {@link #resolveEach} is remembered, whether or not a
 *       waiter was registered, <em>before</em> the waiters are completed: a waiter's callback that
 *       reads {@link #finishedOutcome} sees it.</li>
 *   <li>Memory is bounded: at most {@code capacity} outcomes and {@code maxBytes} of them (as
 *       {@link RecentOutcomes#sizeOf} counts) are kept; the oldest is forgotten first. A removed
 *       session's outcomes are forgotten at once ({@link #forgetSession}).</li>
 *   <li>Session-wide terminations ({@code resolveAllTerminated}, {@code resolveNotPending}, {@link #close})
 *       are not remembered per input: they name no input, and the runtime's input status says how
 *       such an input ended.</li>
 * </ul>
 */
public final class OutcomeHistoryCompletionRegistry implements CompletionRegistry {

    /** The number of outcomes kept when no capacity is given. */
    public static final int DEFAULT_CAPACITY = 10_000;

    /** The most bytes of outcomes kept when no bound is given: 64 MiB. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    private final InMemoryCompletionRegistry waiters = new InMemoryCompletionRegistry();
    private final RecentOutcomes history;

    /**
     * Creates a registry that remembers the last {@link #DEFAULT_CAPACITY} outcomes, at most
     * {@link #DEFAULT_MAX_BYTES} of them.
     */
    public OutcomeHistoryCompletionRegistry() {
        this(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES);
    }

    /**
     * Creates a registry that remembers the last {@code capacity} outcomes, at most {@link #DEFAULT_MAX_BYTES}
     * of them.
     *
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public OutcomeHistoryCompletionRegistry(int capacity) {
        this(capacity, DEFAULT_MAX_BYTES);
    }

    /**
     * Creates a registry that remembers the last {@code capacity} outcomes, at most {@code maxBytes} of them.
     *
     * @throws IllegalArgumentException if {@code capacity} or {@code maxBytes} is not positive
     */
    public OutcomeHistoryCompletionRegistry(int capacity, long maxBytes) {
        this.history = new RecentOutcomes(capacity, maxBytes);
    }

    @Override
    public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
        waiters.register(sessionId, inputId, waiter);
    }

    @Override
    public int resolve(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
        history.record(sessionId, inputId, Objects.requireNonNull(outcome, "outcome"));
        return waiters.resolve(sessionId, inputId, outcome);
    }

    @Override
    public int resolveEach(SessionId sessionId, Collection<InputId> inputIds, CompletionOutcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        for (InputId inputId : inputIds) {
            history.record(sessionId, inputId, outcome);
        }
        return waiters.resolveEach(sessionId, inputIds, outcome);
    }

    @Override
    public int resolveAllTerminated(SessionId sessionId, String reason) {
        return waiters.resolveAllTerminated(sessionId, reason);
    }

    @Override
    public int resolveAllTerminated(String reason) {
        return waiters.resolveAllTerminated(reason);
    }

    @Override
    public int resolveNotPending(SessionId sessionId, Predicate<InputId> stillPending, String reason) {
        return waiters.resolveNotPending(sessionId, stillPending, reason);
    }

    @Override
    public int pendingCount(SessionId sessionId) {
        return waiters.pendingCount(sessionId);
    }

    @Override
    public int pendingCount() {
        return waiters.pendingCount();
    }

    @Override
    public List<PendingCompletion> drainPending() {
        return waiters.drainPending();
    }

    @Override
    public Optional<CompletionOutcome> finishedOutcome(SessionId sessionId, InputId inputId) {
        return history.get(sessionId, inputId);
    }

    @Override
    public void forgetSession(SessionId sessionId) {
        history.forget(sessionId);
        waiters.forgetSession(sessionId);
    }

    @Override
    public long rememberedOutcomeBytes() {
        return history.bytes();
    }

    /** How many outcomes are remembered now (at most the capacity). */
    public int rememberedCount() {
        return history.size();
    }

    /** Terminates every waiter like {@link InMemoryCompletionRegistry#close()} and forgets the history. */
    @Override
    public void close() {
        waiters.close();
        history.clear();
    }
}
