package io.meerkat.distribution.http;

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
 * The completions of inputs submitted through the API, while they are pending, so that a
 * {@code GET .../completion} can wait on them. A finished input's entry is dropped; its outcome is then
 * read from the completion registry's history ({@link io.meerkat.runtime.api.spi.CompletionRegistry#finishedOutcome}),
 * which the outcome-history registry records before it resolves the waiter.
 */
final class PendingCompletions {

    private record Key(SessionId sessionId, InputId inputId) {
    }

    private final Map<Key, CompletableFuture<CompletionOutcome>> pending = new ConcurrentHashMap<>();
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
            pending.remove(key, completion);
            if (outcome != null) {
                metrics.recordOutcome(outcome);
            }
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

    /** The outcome the registry remembers for a finished input, if it remembers it. */
    Optional<CompletionOutcome> finished(SessionId sessionId, InputId inputId) {
        return registry.finishedOutcome(sessionId, inputId);
    }
}
