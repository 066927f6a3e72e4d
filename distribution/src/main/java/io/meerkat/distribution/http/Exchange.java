package io.meerkat.distribution.http;

import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.distribution.config.HttpLimits;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.Scheduler;

/** One API request as the endpoints see it: path parameters, query, a size-limited JSON body. */
final class Exchange {

    /** The most an over-limit body is read (and dropped) to answer 413 cleanly. */
    private static final long DRAIN_LIMIT = 16L << 20;

    private final Request request;
    private final List<String> pathParameters;
    private final Json json;
    private final long maxBodyBytes;
    private final HttpLimits limits;
    private final BodyBudget budget;
    private final Scheduler scheduler;
    /** Guarded by this: the budget bytes this request holds, and whether they were given back for good. */
    private long reserved;
    private boolean released;
    private Fields query;
    private CompletableFuture<Void> bodyReading;
    /** Set by the body reader's thread, read by whichever thread answers (the error path may not wait on it). */
    private volatile byte[] body;

    Exchange(Request request, List<String> pathParameters, Json json, long maxBodyBytes, HttpLimits limits,
             BodyBudget budget, Scheduler scheduler) {
        this.request = request;
        this.pathParameters = pathParameters;
        this.json = json;
        this.maxBodyBytes = maxBodyBytes;
        this.limits = limits;
        this.budget = budget;
        this.scheduler = scheduler;
    }

    /** The session named by the first path parameter; an id that cannot exist is a 404. */
    SessionId sessionId() {
        try {
            return SessionId.parse(pathParameters.get(0));
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("session_not_found", "no session " + pathParameters.get(0));
        }
    }

    /** The input named by the second path parameter; an id that cannot exist is a 404. */
    InputId inputId() {
        try {
            return InputId.parse(pathParameters.get(1));
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("input_not_found", "no input " + pathParameters.get(1));
        }
    }

    /** A query parameter as a long within [min, max], or the default when absent. */
    long queryLong(String name, long defaultValue, long min, long max) {
        String value = query(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed < min || parsed > max) {
                throw ApiException.badRequest("invalid_parameter",
                        name + " must be between " + min + " and " + max + ", was " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid_parameter", name + " must be an integer, was '" + value + "'");
        }
    }

    /** A query parameter, or {@code null} when absent or blank. */
    String query(String name) {
        if (query == null) {
            try {
                query = Request.extractQueryParameters(request);
            } catch (RuntimeException e) {
                throw ApiException.badRequest("invalid_parameter", "the query string is malformed: " + e.getMessage());
            }
        }
        String value = query.getValue(name);
        return value == null || value.isBlank() ? null : value;
    }

    /**
     * Reads the whole body (bounded) before any answer, without holding a thread while it arrives: an
     * answer written while body bytes are still unread makes Jetty close the connection after it,
     * without telling the client, whose next request on that kept-alive connection then fails. A body
     * over the limit is drained (up to 16 MiB) without being kept, and refused; one declared larger than
     * that is refused at once. The bytes kept count against the launcher-wide {@link BodyBudget}, a
     * declared length from the start, until {@link #releaseBody()} (or the read fails).
     *
     * @return completes when the body is read whole; fails with an {@link ApiException}: 413 when the
     *         body exceeds the limit, 503 {@code server_busy} when the budget has no room for it, 408 when
     *         it arrives slower than the minimum data rate or stops arriving (idle timeout), 400 when
     *         reading it fails otherwise (the client went away)
     */
    CompletableFuture<Void> readBody() {
        if (bodyReading == null) {
            bodyReading = new CompletableFuture<>();
            long declared = request.getLength();
            if (declared > DRAIN_LIMIT) {
                fail(tooLarge());
            } else if (declared > maxBodyBytes || reserveUpTo(Math.max(declared, 0))) {
                new BodyReader(declared).start();
            } else {
                fail(busy());
            }
        }
        return bodyReading;
    }

    /** Gives the body's bytes back to the budget, for good; called once the request is answered. */
    synchronized void releaseBody() {
        released = true;
        budget.release(reserved);
        reserved = 0;
    }

    /**
     * Holds {@code total} bytes of the budget in all for this request. Synchronized with
     * {@link #releaseBody()}, which may run on another thread (a timer failing the read): nothing is
     * taken once the bytes have been given back, so none leak.
     */
    private synchronized boolean reserveUpTo(long total) {
        if (released) {
            return false;
        }
        if (total <= reserved) {
            return true;
        }
        if (!budget.tryReserve(total - reserved)) {
            return false;
        }
        reserved = total;
        return true;
    }

    private void fail(Throwable failure) {
        releaseBody();
        bodyReading.completeExceptionally(failure);
    }

    /**
     * Reads what has arrived, then asks Jetty to call it again when more arrives. Jetty never runs it
     * twice at once (one demand at a time), so its fields need no lock, but for what the timers read.
     */
    private final class BodyReader implements Runnable {

        /** Declared over the limit: read to answer 413 cleanly, nothing kept. */
        private final boolean drain;
        private final ByteArrayOutputStream bytes;
        private final long declared;
        /** Written by the reading thread, read by the rate check on the scheduler's thread. */
        private volatile long received;
        /** Only the rate check touches it; its runs never overlap (each schedules the next). */
        private long receivedAtLastCheck;
        private volatile Scheduler.Task rateCheck;
        private volatile Scheduler.Task deadline;

        BodyReader(long declared) {
            this.declared = declared;
            this.drain = declared > maxBodyBytes;
            this.bytes = new ByteArrayOutputStream(drain || declared < 0 ? 256
                    : (int) Math.min(declared, Integer.MAX_VALUE - 8));
        }

        /**
         * Reads, with the data rate checked on a timer (a client that stops sending is checked too, not
         * only when its next bytes arrive): over every window of the idle timeout (at least a second), a
         * body still arriving must bring the minimum rate's bytes, so sending most of it at once and then
         * a byte now and then does not keep it open; and a body of declared length must be in by one
         * second plus its length at the minimum rate. A body that is in at the first read (most are: a
         * packet or two) arms no timer.
         */
        void start() {
            run();
            if (bodyReading.isDone()) {
                return;
            }
            // Armed after the first read: a demand may be reading on another thread meanwhile, which touches
            // none of what arming writes; a read that completes first has its timers cancelled at once below.
            long rate = limits.minRequestDataRate();
            if (rate > 0) {
                rateCheck = scheduler.schedule(this::checkRate, window(), TimeUnit.MILLISECONDS);
                if (declared >= 0) {
                    long allowedMs = 1_000 + declared * 1_000 / rate;
                    deadline = scheduler.schedule(() -> fail(timeout("the request body of " + declared
                            + " bytes was not in within " + allowedMs + " ms (at least " + rate + " bytes/s)")),
                            allowedMs, TimeUnit.MILLISECONDS);
                }
                // A check running as this cancels may still schedule one more; that one finds the read done.
                bodyReading.whenComplete((read, failure) -> {
                    cancel(rateCheck);
                    cancel(deadline);
                });
            }
        }

        private long window() {
            return Math.max(1_000, limits.idleTimeoutMs());
        }

        private void checkRate() {
            if (bodyReading.isDone()) {
                return;
            }
            long now = received;
            long arrived = now - receivedAtLastCheck;
            if (arrived < limits.minRequestDataRate() * window() / 1_000) {
                fail(timeout("the request body arrives slower than " + limits.minRequestDataRate()
                        + " bytes/s (" + arrived + " bytes in the last " + window() + " ms)"));
                return;
            }
            receivedAtLastCheck = now;
            rateCheck = scheduler.schedule(this::checkRate, window(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            try {
                // Once the read has failed (a timer: rate, deadline) nothing more is read or asked for.
                while (!bodyReading.isDone()) {
                    Content.Chunk chunk = request.read();
                    if (chunk == null) {
                        request.demand(this);
                        return;
                    }
                    if (Content.Chunk.isFailure(chunk)) {
                        // Transient (idle timeout) or final failures alike end the read: nothing more will come.
                        fail(readFailure(chunk.getFailure()));
                        return;
                    }
                    boolean last = chunk.isLast();
                    boolean kept = take(chunk);
                    chunk.release();
                    if (!kept) {
                        fail(busy());
                        return;
                    }
                    if (last) {
                        finish();
                        return;
                    }
                    if (received > DRAIN_LIMIT) {
                        fail(tooLarge());
                        return;
                    }
                }
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        /** Keeps the chunk's bytes; {@code false} if the budget has no room for them. */
        private boolean take(Content.Chunk chunk) {
            ByteBuffer buffer = chunk.getByteBuffer();
            int length = buffer.remaining();
            // Keeps one byte past the limit so that a body without a Content-Length is caught too.
            if (!drain && received <= maxBodyBytes) {
                int keep = (int) Math.min(length, maxBodyBytes + 1 - received);
                // Kept bytes so far equal received ones (nothing is dropped below the limit); a declared
                // length was reserved whole, so this takes more only for a body without one.
                if (!reserveUpTo(received + keep)) {
                    return false;
                }
                byte[] copy = new byte[keep];
                buffer.get(copy);
                bytes.write(copy, 0, keep);
            }
            received += length;
            return true;
        }

        private void finish() {
            if (received > maxBodyBytes) {
                fail(tooLarge());
                return;
            }
            body = bytes.toByteArray();
            bodyReading.complete(null);
        }
    }

    private static void cancel(Scheduler.Task task) {
        if (task != null) {
            task.cancel();
        }
    }

    private ApiException busy() {
        return ApiException.serverBusy("the server holds " + budget.max()
                + " bytes of request bodies at most and has no room for this one now; retry later");
    }

    private static ApiException readFailure(Throwable failure) {
        if (failure instanceof TimeoutException) {
            return timeout("the request body stopped arriving: " + failure.getMessage());
        }
        return ApiException.badRequest("bad_request", "reading the request body failed: " + failure);
    }

    private static ApiException timeout(String message) {
        return new ApiException(408, "request_timeout", message);
    }

    /** Whether the body has been read whole. */
    boolean bodyRead() {
        return body != null;
    }

    /**
     * The body as a {@code type}; an empty body reads as {@code {}}.
     *
     * @throws ApiException 400 when it is not valid JSON for the type
     */
    <T> T body(Class<T> type) {
        if (body == null) {
            throw new IllegalStateException("the body is read before the endpoint runs (ApiHandler)");
        }
        return json.read(body.length == 0 ? new byte[] {'{', '}'} : body, type);
    }

    private ApiException tooLarge() {
        return new ApiException(413, "payload_too_large", "the request body exceeds " + maxBodyBytes + " bytes");
    }
}
