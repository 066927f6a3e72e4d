package io.meerkat.runtime.core.session;

import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionId;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;

/**
 * Publishes one session's events to its subscribers. Sequence numbers are assigned by the caller's
 * order (the driver publishes under its lock), so they follow the session's history exactly.
 *
 * <p>Costs nothing until the first subscription: the publisher is created lazily and envelopes are
 * built only while it exists. A slow subscriber loses events (its buffer is bounded) and never
 * slows the session.
 */
public final class SessionEvents implements Flow.Publisher<RuntimeEventEnvelope> {

    private static final int SUBSCRIBER_BUFFER = 1024;

    private final SessionId sessionId;
    private final Executor deliveryExecutor;
    private volatile SubmissionPublisher<RuntimeEventEnvelope> publisher;
    private volatile boolean closed;
    private long sequence;

    public SessionEvents(SessionId sessionId, Executor deliveryExecutor) {
        this.sessionId = sessionId;
        this.deliveryExecutor = deliveryExecutor;
    }

    /** Whether anybody may be listening; callers skip building events when not. */
    public boolean enabled() {
        return publisher != null && !closed;
    }

    /** Publishes one event; callers serialise calls (the driver lock). */
    public void publish(RuntimeEvent event) {
        long seq = ++sequence;
        SubmissionPublisher<RuntimeEventEnvelope> target = publisher;
        if (target == null || closed) {
            return;
        }
        // Drop rather than wait: a subscriber that cannot keep up sees a gap in sequence numbers.
        target.offer(new RuntimeEventEnvelope(sessionId, seq, Instant.now(), event), (subscriber, item) -> false);
    }

    @Override
    public void subscribe(Flow.Subscriber<? super RuntimeEventEnvelope> subscriber) {
        SubmissionPublisher<RuntimeEventEnvelope> target;
        synchronized (this) {
            if (closed) {
                target = null;
            } else {
                if (publisher == null) {
                    publisher = new SubmissionPublisher<>(deliveryExecutor, SUBSCRIBER_BUFFER);
                }
                target = publisher;
            }
        }
        if (target == null) {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onComplete();
            return;
        }
        target.subscribe(subscriber);
    }

    /** Completes every subscription after the events already published; later events are dropped. */
    public void close() {
        SubmissionPublisher<RuntimeEventEnvelope> target;
        synchronized (this) {
            closed = true;
            target = publisher;
        }
        if (target != null) {
            target.close();
        }
    }
}
