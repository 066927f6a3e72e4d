package io.meerkat.executor.openai;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP exchange of a streamed chat completion. Its {@link #outcome()} completes with the
 * completion once {@code [DONE]} arrives (or the body ends after a finish reason), or
 * exceptionally with an {@link OpenAiCallException} for a non-2xx status (quoting the error body), a
 * malformed chunk, a broken or refused connection, the connect timeout, or the read timeout (no line
 * for {@code readTimeoutMs} while the body streams). {@link #abort} ends it at once: it cancels the
 * future of {@code sendAsync}, which closes the connection. Lines arrive as {@link Flow.Subscriber}
 * signals, which are serialised; the timer and {@link #abort} only complete futures.
 */
final class ChatCall implements Flow.Subscriber<String> {

    /** Told after each streamed chunk, on the thread delivering it (one at a time, in stream order). */
    @FunctionalInterface
    interface ChunkListener {
        /**
         * @param chunks     chunks streamed so far
         * @param characters characters of text streamed so far
         * @param content    the text this chunk added (empty if none)
         */
        void onChunk(int chunks, int characters, String content);
    }

    private static final int MAX_ERROR_BODY_CHARS = 4_096;
    /** The largest unstreamed answer read; a larger one fails the run rather than fill the heap. */
    static final int MAX_WHOLE_BODY_CHARS = 8 << 20;

    private final HttpRequest request;
    private final OpenAiSettings settings;
    private final CompletionAccumulator accumulator;
    private final ChunkListener listener;
    private final ChatTransport transport;
    private final CompletableFuture<ChatCompletion> outcome = new CompletableFuture<>();
    private final CompletableFuture<Void> exchangeEnded = new CompletableFuture<>();
    private final ServerSentEvents events = new ServerSentEvents();
    private final StringBuilder errorBody = new StringBuilder();
    /** An unstreamed answer's body, read whole before it is parsed. */
    private final StringBuilder wholeBody = new StringBuilder();

    private volatile CompletableFuture<HttpResponse<Void>> exchange;
    private volatile boolean aborted;
    private volatile int status;
    private volatile Optional<String> retryAfter = Optional.empty();
    private volatile long lastActivityNanos;
    private volatile ScheduledFuture<?> idleCheck;
    /** Chunks streamed so far, for messages written off the subscriber's thread. */
    private volatile int streamedChunks;

    ChatCall(HttpRequest request, OpenAiSettings settings, CompletionAccumulator accumulator, ChunkListener listener,
             ChatTransport transport) {
        this.request = request;
        this.settings = settings;
        this.accumulator = accumulator;
        this.listener = listener;
        this.transport = transport;
    }

    /** The completion, or why there is none. */
    CompletableFuture<ChatCompletion> outcome() {
        return outcome;
    }

    /** Completes once the HTTP exchange is over (after the outcome, or when an abort has closed it). */
    CompletableFuture<Void> exchangeEnded() {
        return exchangeEnded;
    }

    void start(HttpClient client) {
        CompletableFuture<HttpResponse<Void>> sent = client.sendAsync(request, this::bodyHandler);
        exchange = sent;
        // abort() sets 'aborted' before reading 'exchange', and this reads 'aborted' after writing it
        // (both volatile), so an abort racing with the start is seen by at least one of the two.
        if (aborted) {
            sent.cancel(true);
        }
        sent.whenComplete((response, error) -> exchangeOver(error));
    }

    /** Ends the call at once with {@code why}; closes the connection if it is still open. */
    void abort(Throwable why) {
        outcome.completeExceptionally(why);
        aborted = true;
        CompletableFuture<HttpResponse<Void>> sent = exchange;
        if (sent != null) {
            sent.cancel(true);
        }
    }

    private HttpResponse.BodySubscriber<Void> bodyHandler(HttpResponse.ResponseInfo info) {
        status = info.statusCode();
        retryAfter = info.headers().firstValue("Retry-After");
        lastActivityNanos = System.nanoTime();
        // The connect timeout ends with the headers; from now on the read timeout guards the body.
        scheduleIdleCheck(settings.readTimeout().toNanos());
        return HttpResponse.BodySubscribers.fromLineSubscriber(this, subscriber -> null, StandardCharsets.UTF_8, null);
    }

    private boolean successful() {
        return status >= 200 && status < 300;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String received) {
        lastActivityNanos = System.nanoTime();
        // The key is taken out of every line before anything reads it: a server that echoes the request's
        // headers back must not get the key into a failure reason (which clients and logs see), whole or
        // cut at a snippet's end.
        String line = settings.apiKey().map(key -> key.redact(received)).orElse(received);
        if (outcome.isDone()) {
            return; // after [DONE] or an abort: the rest of the body is drained unread
        }
        if (!successful()) {
            if (errorBody.length() < MAX_ERROR_BODY_CHARS) {
                errorBody.append(line).append('\n');
            }
            return;
        }
        if (!settings.stream()) {
            if (wholeBody.length() + line.length() > MAX_WHOLE_BODY_CHARS) {
                abort(OpenAiCallException.of("the answer from " + settings.endpoint() + " is larger than "
                        + MAX_WHOLE_BODY_CHARS + " characters"));
                return;
            }
            wholeBody.append(line).append('\n');
            return;
        }
        try {
            events.line(line).ifPresent(this::take);
        } catch (OpenAiCallException malformed) {
            abort(malformed);
        }
    }

    private void take(String data) {
        if (accumulator.accept(data)) {
            outcome.complete(accumulator.completion());
        } else {
            streamedChunks = accumulator.chunks();
            listener.onChunk(accumulator.chunks(), accumulator.characters(), accumulator.lastContent());
        }
    }

    @Override
    public void onError(Throwable error) {
        outcome.completeExceptionally(failure(error));
    }

    @Override
    public void onComplete() {
        if (!successful()) {
            outcome.completeExceptionally(OpenAiCallException.status(status, retryAfter, errorBody.toString()));
            return;
        }
        try {
            if (settings.stream()) {
                events.end().ifPresent(this::take);
            } else {
                accumulator.accept(wholeBody.toString());
                outcome.complete(accumulator.completion());
                return;
            }
        } catch (OpenAiCallException malformed) {
            outcome.completeExceptionally(malformed);
            return;
        }
        if (accumulator.finished()) {
            outcome.complete(accumulator.completion()); // no [DONE], but the answer said it was complete
        } else {
            outcome.completeExceptionally(OpenAiCallException.of("the stream from " + settings.endpoint()
                    + " ended before [DONE] after " + accumulator.chunks() + " chunk(s)"));
        }
    }

    private void exchangeOver(Throwable error) {
        ScheduledFuture<?> check = idleCheck;
        if (check != null) {
            check.cancel(false);
        }
        if (error != null) {
            outcome.completeExceptionally(failure(error));
        }
        exchangeEnded.complete(null);
    }

    private void scheduleIdleCheck(long delayNanos) {
        try {
            idleCheck = transport.schedule(this::checkIdle, Duration.ofNanos(delayNanos));
        } catch (OpenAiCallException stopped) {
            abort(stopped);
        }
    }

    private void checkIdle() {
        // A check that exchangeOver() could not cancel (it was being rescheduled) stops here.
        if (exchangeEnded.isDone()) {
            return;
        }
        long limit = settings.readTimeout().toNanos();
        long silent = System.nanoTime() - lastActivityNanos;
        if (silent >= limit) {
            abort(OpenAiCallException.of("no data from " + settings.endpoint() + " for "
                    + TimeUnit.NANOSECONDS.toMillis(silent) + " ms (readTimeoutMs is " + settings.readTimeout().toMillis()
                    + ")"));
        } else {
            scheduleIdleCheck(limit - silent);
        }
    }

    /** The failure of the exchange, in words naming the endpoint and the timeout that expired. */
    private OpenAiCallException failure(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof OpenAiCallException known) {
            return known;
        }
        if (cause instanceof HttpConnectTimeoutException) {
            return OpenAiCallException.of("could not connect to " + settings.endpoint() + " within "
                    + settings.connectTimeout().toMillis() + " ms (connectTimeoutMs)", cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return OpenAiCallException.of("no response from " + settings.endpoint() + " within "
                    + settings.connectTimeout().toMillis() + " ms (connectTimeoutMs)", cause);
        }
        if (cause instanceof ConnectException) {
            return OpenAiCallException.of("cannot connect to " + settings.endpoint() + ": " + cause, cause);
        }
        if (cause instanceof CancellationException) {
            return OpenAiCallException.of("the request to " + settings.endpoint() + " was cancelled", cause);
        }
        if (cause instanceof IOException) {
            return OpenAiCallException.of("the connection to " + settings.endpoint() + " failed after "
                    + streamedChunks + " chunk(s): " + cause, cause);
        }
        return OpenAiCallException.of("the request to " + settings.endpoint() + " failed: " + cause, cause);
    }
}
