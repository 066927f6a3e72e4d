package io.meerkat.distribution.http;

import io.meerkat.completion.RecentOutcomes;
import io.meerkat.distribution.metrics.RuntimeMetrics;
import io.meerkat.distribution.registry.SwappableCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The completions of inputs submitted through the API, so that a {@code GET .../completion} can wait on
 * them while they are pending and read them once finished.
 *
 * <p>A finished input's future is dropped; its outcome stays among the last {@value #RECENT} the API
 * delivered, then the completion registry's own history answers
 * ({@link io.meerkat.runtime.api.spi.CompletionRegistry#finishedOutcome}, kept by the outcome-history
 * registry), so a client that asks right after a fast run still gets its result with any registry.
 */
final class PendingCompletions {

    private record Key(SessionId sessionId, InputId inputId) {
    }

    /** How many finished outcomes the API itself keeps. */
    static final int RECENT = 1024;

    private final Map<Key, CompletableFuture<CompletionOutcome>> pending = new ConcurrentHashMap<>();
    private final RecentOutcomes recent = new RecentOutcomes(RECENT);
    private final SwappableCompletionRegistry registry;
    private final RuntimeMetrics metrics;

    PendingCompletions(SwappableCompletionRegistry registry, RuntimeMetrics metrics) {
        this.registry = registry;
        this.metrics = metrics;
    }

    /** Holds a new input's completion until it resolves; counts its outcome. */
    void track(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> completion) {
        Key key = new Key(sessionId, inputId);
        pending.put(key, completion);
        // Registered after the put: if the completion is already done this runs at once and removes it.
        completion.whenComplete((outcome, failure) -> {
            if (outcome != null) {
                // Recorded before the entry goes: a reader who misses the future finds the outcome.
                recent.record(sessionId, inputId, outcome);
                metrics.recordOutcome(outcome);
            }
            pending.remove(key, completion);
        });
    }

    /** A submit that joined an input already tracked; only keeps the first future. */
    void trackJoined(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> completion) {
        pending.putIfAbsent(new Key(sessionId, inputId), completion);
        completion.whenComplete((outcome, failure) -> pending.remove(new Key(sessionId, inputId), completion));
    }

    /** The pending completion of an input, if it is pending. */
    Optional<CompletableFuture<CompletionOutcome>> pending(SessionId sessionId, InputId inputId) {
        return Optional.ofNullable(pending.get(new Key(sessionId, inputId)));
    }

    /** The outcome of a finished input, if the API or the registry still remembers it. */
    Optional<CompletionOutcome> finished(SessionId sessionId, InputId inputId) {
        Optional<CompletionOutcome> delivered = recent.get(sessionId, inputId);
        return delivered.isPresent() ? delivered : registry.finishedOutcome(sessionId, inputId);
    }
}
