package io.meerkat.runtime.core.events;

import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionId;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one session's events to its subscribers. Sequence numbers are assigned by the caller's
 * order (the driver publishes under its lock), so they follow the session's history exactly.
 *
 * <p>Costs nothing until the first subscription: the publisher is created lazily and envelopes are
 * built only while it exists. A slow subscriber loses events (its buffer is bounded) and never
 * slows the session. A delivery executor that refuses work ({@code RejectedExecutionException},
 * e.g. a pool being shut down) costs its subscribers their events, never the session: publishing and
 * closing go on, and a new subscriber is told with {@code onError}.
 */
public final class SessionEvents implements Flow.Publisher<RuntimeEventEnvelope> {

    private static final int SUBSCRIBER_BUFFER = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(SessionEvents.class);

    private final SessionId sessionId;
    private final Executor deliveryExecutor;
    private volatile SubmissionPublisher<RuntimeEventEnvelope> publisher;
    private volatile boolean closed;
    private volatile boolean refusalLogged;
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
        try {
            // Drop rather than wait: a subscriber that cannot keep up sees a gap in sequence numbers.
            target.offer(new RuntimeEventEnvelope(sessionId, seq, Instant.now(), event), (subscriber, item) -> false);
        } catch (RuntimeException refused) {
            // The publisher rethrows what the delivery executor threw (after closing that subscription).
            // Callers publish under the driver lock in the middle of a transition: letting it escape would
            // break the session (an accepted input reported as refused, a run never ended, a dead loop).
            logRefusal(refused);
        }
    }

    private void logRefusal(RuntimeException refused) {
        if (!refusalLogged) {
            refusalLogged = true;
            LOG.warn("session {}: event delivery refused; its subscribers lose events", sessionId, refused);
        }
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
        try {
            target.subscribe(subscriber);
        } catch (RuntimeException refused) {
            // The executor refused the subscription's first task, so onSubscribe never ran: say so.
            logRefusal(refused);
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(refused);
        }
    }

    /** Completes every subscription after the events already published; later events are dropped. */
    public void close() {
        SubmissionPublisher<RuntimeEventEnvelope> target;
        synchronized (this) {
            closed = true;
            target = publisher;
        }
        if (target != null) {
            try {
                target.close();
            } catch (RuntimeException refused) {
                // Called as the loop ends: a refused onComplete must not keep it from ending.
                logRefusal(refused);
            }
        }
    }
}
