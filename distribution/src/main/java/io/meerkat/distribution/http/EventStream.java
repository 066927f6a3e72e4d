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
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * {@code GET /v1/sessions/{id}/events}: a session's events as Server-Sent Events, one JSON envelope
 * each ({@code id:} the sequence, {@code event:} the type).
 *
 * <p>No thread is held per client: writes are asynchronous, one at a time. Events are taken from the
 * session as they come and kept, written out as bytes, until the client has read them; a stream keeps at
 * most {@value #MAX_STREAM_BACKLOG_BYTES} bytes waiting (plus the event that crossed the line), and all
 * streams together at most the launcher's event budget ({@code meerkat.http.max-buffered-event-bytes}).
 * Past either, the stream drops events, visible as gaps in the sequence: a slow or stalled client never
 * slows the session, and the large outputs a run may stream ({@code output_delta}, {@code run_completed}
 * with its result) never pile up on the heap for a client that does not read them. The stream opens with
 * a {@code : subscribed} comment, written after the subscription is in place, so a client that sees it
 * will see every later event it keeps up with. A {@code : keepalive} comment every 15 s finds clients
 * that went away.
 *
 * <p>At most {@code maxStreams} are open at once; past that a stream is refused with 503 {@code server_busy},
 * so that streams, which never idle out, cannot take every connection.
 */
final class EventStream implements StreamEndpoint, AutoCloseable {

    /** How often an idle stream gets a keep-alive comment (and so finds a client that went away). */
    static final long KEEPALIVE_MS = 15_000;
    /** The most bytes of events one stream keeps waiting for its client before it drops events. */
    static final long MAX_STREAM_BACKLOG_BYTES = 1L << 20;

    private final MeerkatRuntime runtime;
    private final Json json;
    private final Scheduler scheduler;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final int maxStreams;
    /** The bytes of events waiting in every stream together. */
    private final BodyBudget budget;
    private final long keepaliveMs;

    EventStream(MeerkatRuntime runtime, Json json, Scheduler scheduler, int maxStreams, BodyBudget budget,
                long keepaliveMs) {
        this.keepaliveMs = keepaliveMs;
        this.runtime = runtime;
        this.json = json;
        this.scheduler = scheduler;
        this.maxStreams = maxStreams;
        this.budget = budget;
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

    /**
     * One chunk to write: a comment, an event (whose bytes count against the budgets until written or
     * dropped) or the end.
     */
    private record Chunk(byte[] bytes, boolean event, boolean last) {

        static Chunk comment(String text) {
            return new Chunk(text.getBytes(StandardCharsets.UTF_8), false, false);
        }
    }

    /** One client's stream: a subscriber to the session's events and a one-write-at-a-time writer. */
    private final class Connection implements Flow.Subscriber<RuntimeEventEnvelope> {
        private final Response response;
        private final Callback callback;
        private final Queue<Chunk> outbox = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean writing = new AtomicBoolean();
        private final AtomicBoolean finished = new AtomicBoolean();
        /** The bytes of this stream's events taken and not yet written or dropped. */
        private final AtomicLong backlog = new AtomicLong();
        private volatile Flow.Subscription subscription;
        private volatile Scheduler.Task keepalive;

        Connection(Response response, Callback callback) {
            this.response = response;
            this.callback = callback;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            enqueue(Chunk.comment(": subscribed\n\n"));
            // Every event is taken at once: what waits for the client is bounded here, in bytes.
            subscription.request(Long.MAX_VALUE);
            scheduleKeepalive();
        }

        @Override
        public void onNext(RuntimeEventEnvelope envelope) {
            // Checked before the event is written out: a stalled client costs no serialisation.
            if (finished.get() || backlog.get() >= MAX_STREAM_BACKLOG_BYTES) {
                return;
            }
            Map<String, Object> view = Views.event(envelope);
            byte[] bytes = ("id: " + envelope.sequence() + "\nevent: " + view.get("type") + "\ndata: "
                    + json.writeString(view) + "\n\n").getBytes(StandardCharsets.UTF_8);
            if (!budget.tryReserve(bytes.length)) {
                return;
            }
            backlog.addAndGet(bytes.length);
            enqueue(new Chunk(bytes, true, false));
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
            enqueue(new Chunk(new byte[0], false, true));
        }

        private void scheduleKeepalive() {
            if (!finished.get()) {
                keepalive = scheduler.schedule(() -> {
                    if (outbox.isEmpty()) {
                        enqueue(Chunk.comment(": keepalive\n\n"));
                    }
                    scheduleKeepalive();
                }, keepaliveMs, TimeUnit.MILLISECONDS);
            }
        }

        private void enqueue(Chunk chunk) {
            if (finished.get()) {
                dropped(chunk);
                return;
            }
            outbox.add(chunk);
            // finish() may have emptied the outbox between the check above and the add: whoever removes
            // the chunk (finish's poll or this remove) gives its bytes back, exactly once.
            if (finished.get() && outbox.remove(chunk)) {
                dropped(chunk);
                return;
            }
            pump();
        }

        /** Gives back the budget an event chunk held. */
        private void dropped(Chunk chunk) {
            if (chunk.event()) {
                backlog.addAndGet(-chunk.bytes().length);
                budget.release(chunk.bytes().length);
            }
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
                response.write(false, ByteBuffer.wrap(chunk.bytes()), Callback.from(() -> written(chunk), failure -> {
                    dropped(chunk);
                    finish(failure);
                }));
                return;
            }
        }

        private void written(Chunk chunk) {
            dropped(chunk);
            writing.set(false);
            pump();
        }

        /** Ends the stream once: cleanly ({@code failure == null}) or because the client went away. */
        private void finish(Throwable failure) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            connections.remove(this);
            for (Chunk left = outbox.poll(); left != null; left = outbox.poll()) {
                dropped(left);
            }
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
