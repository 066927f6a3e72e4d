package io.meerkat.distribution.http;

import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * {@code GET /v1/sessions/{id}/events}: a session's events as Server-Sent Events, one JSON envelope
 * each ({@code id:} the sequence, {@code event:} the type).
 *
 * <p>No thread is held per client: writes are asynchronous and the next event is requested from the
 * session only when the previous one is written, so a slow client never slows the session (it loses
 * events instead, visible as gaps in the sequence). The stream opens with a {@code : subscribed} comment,
 * written after the subscription is in place, so a client that sees it will see every later event. A
 * {@code : keepalive} comment every 15 s finds clients that went away.
 *
 * <p>At most {@code maxStreams} are open at once; past that a stream is refused with 503 {@code server_busy},
 * so that streams, which never idle out, cannot take every connection.
 */
final class EventStream implements StreamEndpoint, AutoCloseable {

    private static final long KEEPALIVE_SECONDS = 15;

    private final MeerkatRuntime runtime;
    private final Json json;
    private final Scheduler scheduler;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final int maxStreams;

    EventStream(MeerkatRuntime runtime, Json json, Scheduler scheduler, int maxStreams) {
        this.runtime = runtime;
        this.json = json;
        this.scheduler = scheduler;
        this.maxStreams = maxStreams;
    }

    @Override
    public void open(Exchange exchange, Response response, Callback callback) {
        SessionHandle session = session(exchange);
        Connection connection = new Connection(response, callback);
        if (!admit(connection)) {
            throw ApiException.serverBusy("at most " + maxStreams + " event streams are open at once; retry later");
        }
        startAnswer(response);
        try {
            session.events().subscribe(connection);
        } catch (RuntimeException e) {
            connections.remove(connection);
            throw e;
        }
    }

    /**
     * Counts the stream in if there is room. The check and the add are one step under the lock; removals
     * (at a stream's end) only shrink the set, so it never holds more than {@code maxStreams}.
     */
    private synchronized boolean admit(Connection connection) {
        if (connections.size() >= maxStreams) {
            return false;
        }
        connections.add(connection);
        return true;
    }

    @Override
    public void head(Exchange exchange, Response response, Callback callback) {
        session(exchange);
        startAnswer(response);
        response.write(true, null, callback);
    }

    private SessionHandle session(Exchange exchange) {
        return runtime.session(exchange.sessionId())
                .orElseThrow(() -> ApiException.notFound("session_not_found", "no session " + exchange.sessionId()));
    }

    private static void startAnswer(Response response) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    }

    /**
     * How many streams are open: subscribed and not yet finished. Package-private, for tests that check
     * a client that went away or a session that ended leaves no subscription behind.
     */
    int openConnections() {
        return connections.size();
    }

    /** Ends every open stream (the server is stopping). */
    @Override
    public void close() {
        for (Connection connection : connections) {
            connection.end();
        }
    }

    /** One chunk to write: a comment, an event (which, once written, lets the next event in) or the end. */
    private record Chunk(String text, boolean event, boolean last) {
    }

    /** One client's stream: a subscriber to the session's events and a one-write-at-a-time writer. */
    private final class Connection implements Flow.Subscriber<RuntimeEventEnvelope> {
        private final Response response;
        private final Callback callback;
        private final Queue<Chunk> outbox = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean writing = new AtomicBoolean();
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile Flow.Subscription subscription;
        private volatile Scheduler.Task keepalive;

        Connection(Response response, Callback callback) {
            this.response = response;
            this.callback = callback;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            enqueue(new Chunk(": subscribed\n\n", false, false));
            subscription.request(1);
            scheduleKeepalive();
        }

        @Override
        public void onNext(RuntimeEventEnvelope envelope) {
            Map<String, Object> view = Views.event(envelope);
            enqueue(new Chunk("id: " + envelope.sequence() + "\nevent: " + view.get("type") + "\ndata: "
                    + json.writeString(view) + "\n\n", true, false));
        }

        @Override
        public void onError(Throwable throwable) {
            end();
        }

        @Override
        public void onComplete() {
            end();
        }

        void end() {
            enqueue(new Chunk("", false, true));
        }

        private void scheduleKeepalive() {
            if (!finished.get()) {
                keepalive = scheduler.schedule(() -> {
                    if (outbox.isEmpty()) {
                        enqueue(new Chunk(": keepalive\n\n", false, false));
                    }
                    scheduleKeepalive();
                }, KEEPALIVE_SECONDS, TimeUnit.SECONDS);
            }
        }

        private void enqueue(Chunk chunk) {
            if (finished.get()) {
                return;
            }
            outbox.add(chunk);
            pump();
        }

        /** Starts the next write unless one is in flight; Jetty allows one outstanding write per response. */
        private void pump() {
            while (!finished.get()) {
                if (!writing.compareAndSet(false, true)) {
                    return;
                }
                Chunk chunk = outbox.poll();
                if (chunk == null) {
                    writing.set(false);
                    // An enqueue between our poll and the flag reset saw `writing` set and left: recheck.
                    if (outbox.isEmpty()) {
                        return;
                    }
                    continue;
                }
                if (chunk.last()) {
                    finish(null);
                    return;
                }
                response.write(false, ByteBuffer.wrap(chunk.text().getBytes(StandardCharsets.UTF_8)),
                        Callback.from(() -> written(chunk), this::finish));
                return;
            }
        }

        private void written(Chunk chunk) {
            writing.set(false);
            if (chunk.event()) {
                subscription.request(1);
            }
            pump();
        }

        /** Ends the stream once: cleanly ({@code failure == null}) or because the client went away. */
        private void finish(Throwable failure) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            connections.remove(this);
            Scheduler.Task task = keepalive;
            if (task != null) {
                task.cancel();
            }
            Flow.Subscription current = subscription;
            if (current != null) {
                current.cancel();
            }
            if (failure == null) {
                response.write(true, ByteBuffer.allocate(0), callback);
            } else {
                callback.failed(failure);
            }
        }
    }
}
