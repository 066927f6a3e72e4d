package io.meerkat.runtime.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/** Subscribes to a session's events, collects every one, and completes {@link #done} when the stream does. */
public final class EventRecorder implements Flow.Subscriber<RuntimeEventEnvelope> {

    private final List<RuntimeEventEnvelope> events = new ArrayList<>();
    /** Every event of the stream once it completed; exceptionally if the stream failed. */
    public final CompletableFuture<List<RuntimeEventEnvelope>> done = new CompletableFuture<>();

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(RuntimeEventEnvelope item) {
        events.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
        done.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
        done.complete(List.copyOf(events));
    }

    /** The run events of the whole stream, once the session has ended it; checks that none was lost. */
    public List<RunEvent> runEvents(int timeoutSeconds) throws Exception {
        List<RuntimeEventEnvelope> all = done.get(timeoutSeconds, TimeUnit.SECONDS);
        for (int i = 1; i < all.size(); i++) {
            assertEquals(all.get(i - 1).sequence() + 1, all.get(i).sequence(), "no event was lost");
        }
        return all.stream().filter(e -> e.event() instanceof RuntimeEvent.RunLifecycle)
                .map(e -> ((RuntimeEvent.RunLifecycle) e.event()).event()).toList();
    }
}
