package io.meerkat.distribution.http;

import io.meerkat.completion.RecentOutcomes;
import io.meerkat.distribution.metrics.RuntimeMetrics;
import io.meerkat.distribution.registry.SwappableCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * The completions of inputs submitted through the API, so that a {@code GET .../completion} can wait on
 * them while they are pending and read them once finished.
 *
 * <p>A poll that waits is a small future of its own, held in its input's set and dropped at its
 * timeout: however often a client polls a long input, nothing piles up on the submitter's future.
 * A finished input's entry goes; its outcome stays among the last {@value #RECENT} the API delivered
 * (at most {@code maxRetainedBytes} of them, oldest forgotten first; none of a deleted session), then the
 * completion registry's own history answers
 * ({@link io.meerkat.runtime.api.spi.CompletionRegistry#finishedOutcome}, kept by the outcome-history
 * registry), so a client that asks right after a fast run still gets its result with any registry.
 *
 * <p>At most {@code maxWaiting} polls wait at once; past that a poll that would wait is refused with 503
 * {@code server_busy}, so that waiting requests cannot take every connection.
 */
final class PendingCompletions {

    /** How many finished outcomes the API itself keeps. */
    static final int RECENT = 1024;

    private record Key(SessionId sessionId, InputId inputId) {
    }

    /** One pending input: its completion and the polls waiting on it. */
    private static final class Tracked {
        final CompletableFuture<CompletionOutcome> completion;
        final Set<CompletableFuture<CompletionOutcome>> polls = ConcurrentHashMap.newKeySet();

        Tracked(CompletableFuture<CompletionOutcome> completion) {
            this.completion = completion;
        }
    }

    private final Map<Key, Tracked> pending = new ConcurrentHashMap<>();
    private final RecentOutcomes recent;
    private final SwappableCompletionRegistry registry;
    private final RuntimeMetrics metrics;
    private final Predicate<SessionId> sessionExists;
    private final BiFunction<SessionId, InputId, Optional<CompletionOutcome>> stored;
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * @param maxRetainedBytes the most bytes of delivered outcomes kept, as {@link RecentOutcomes#sizeOf} counts
     * @param maxWaiting       the most polls waiting at once
     * @param sessionExists    whether a session is still there (a deleted one's outcomes are not kept)
     */
    PendingCompletions(SwappableCompletionRegistry registry, RuntimeMetrics metrics, long maxRetainedBytes,
                       int maxWaiting, Predicate<SessionId> sessionExists) {
        this(registry, metrics, maxRetainedBytes, maxWaiting, sessionExists, (session, input) -> Optional.empty());
    }

    /** @param stored the outcome the runtime's store kept for a finished input, if any */
    PendingCompletions(SwappableCompletionRegistry registry, RuntimeMetrics metrics, long maxRetainedBytes,
                       int maxWaiting, Predicate<SessionId> sessionExists,
                       BiFunction<SessionId, InputId, Optional<CompletionOutcome>> stored) {
        this.stored = stored;
        this.registry = registry;
        this.metrics = metrics;
        this.recent = new RecentOutcomes(RECENT, maxRetainedBytes);
        this.maxWaiting = maxWaiting;
        this.sessionExists = sessionExists;
    }

    /** Holds a new input's completion until it resolves; counts its outcome. */
    void track(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> completion) {
        Key key = new Key(sessionId, inputId);
        Tracked tracked = new Tracked(completion);
        pending.put(key, tracked);
        // Registered after the put: if the completion is already done this runs at once and removes it.
        completion.whenComplete((outcome, failure) -> {
            if (outcome != null) {
                // Recorded before the entry goes: a reader who misses the entry finds the outcome. Not for a
                // session already deleted (its waiters are resolved as it goes): nobody can ask any more.
                // Nor an outcome that only says this node lost the session: its next owner gives the real one.
                if (sessionExists.test(sessionId) && !InputEndpoints.movedAway(outcome)) {
                    recent.record(sessionId, inputId, outcome);
                }
                metrics.recordOutcome(outcome);
            }
            pending.remove(key, tracked);
            for (CompletableFuture<CompletionOutcome> poll : tracked.polls) {
                poll.complete(outcome);
            }
        });
    }

    /** A submit that joined an input the API already tracks (an idempotent resubmit). */
    void trackJoined(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> completion) {
        if (!pending.containsKey(new Key(sessionId, inputId)) && !completion.isDone()) {
            track(sessionId, inputId, completion);
        }
    }

    /**
     * Waits up to {@code timeoutMs} for a pending input's outcome.
     *
     * @return empty if the API tracks no pending completion for the input; else a future completed with
     *         the outcome, or with {@code null} when the timeout passes first
     * @throws ApiException 503 {@code server_busy} when the poll would wait and {@code maxWaiting} polls already do
     */
    Optional<CompletableFuture<CompletionOutcome>> poll(SessionId sessionId, InputId inputId, long timeoutMs) {
        Tracked tracked = pending.get(new Key(sessionId, inputId));
        if (tracked == null) {
            return Optional.empty();
        }
        if (tracked.completion.isDone() || timeoutMs == 0) {
            return Optional.of(CompletableFuture.completedFuture(tracked.completion.getNow(null)));
        }
        // Taken before the poll exists and given back when it completes, whichever way: the count is exact.
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            throw ApiException.serverBusy("at most " + maxWaiting + " completion requests wait at once; retry later");
        }
        CompletableFuture<CompletionOutcome> poll = new CompletableFuture<>();
        poll.whenComplete((outcome, failure) -> {
            tracked.polls.remove(poll);
            waiting.decrementAndGet();
        });
        tracked.polls.add(poll);
        // Dekker-style: the completion's callback completes the polls it finds after it is done; a poll
        // added after that sweep sees isDone() here and completes itself.
        if (tracked.completion.isDone()) {
            poll.complete(tracked.completion.getNow(null));
        }
        return Optional.of(poll.completeOnTimeout(null, timeoutMs, TimeUnit.MILLISECONDS));
    }

    /**
     * The outcome of a finished input, if the API, the registry or the runtime's store still remembers it
     * (the store has the outcomes of inputs that finished before a restart).
     */
    Optional<CompletionOutcome> finished(SessionId sessionId, InputId inputId) {
        Optional<CompletionOutcome> delivered = recent.get(sessionId, inputId);
        if (delivered.isPresent()) {
            return delivered;
        }
        Optional<CompletionOutcome> remembered = registry.finishedOutcome(sessionId, inputId);
        return remembered.isPresent() ? remembered : stored.apply(sessionId, inputId);
    }

    /** Forgets the delivered outcomes of a deleted session. */
    void forgetSession(SessionId sessionId) {
        recent.forget(sessionId);
    }

    /** The delivered outcomes kept now, in bytes as {@link RecentOutcomes#sizeOf} counts them. */
    long retainedBytes() {
        return recent.bytes();
    }

    /** Polls waiting now, in all (for tests). */
    int waitingPolls() {
        return waiting.get();
    }
}
