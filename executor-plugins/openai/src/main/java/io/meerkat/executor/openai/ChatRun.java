package io.meerkat.executor.openai;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;

/**
 * One run of the openai executor: sends the request, retries it after a 429 or 5xx answer when
 * {@code maxRetries} allows (only such answers are retried, and they carry no streamed content, so a
 * retry never repeats a partial reply), reports each streamed chunk's text as an output delta and
 * streaming progress at most every {@code progressInterval}, and completes the run's stage exactly
 * once: with the text and token usage, with the failure, or with a {@link CancellationException} when
 * {@link #cancel} comes first. An unstreamed answer is reported as one delta, just before the stage
 * completes. A cancel aborts the HTTP request at once. Nothing is reported once the stage is decided.
 */
final class ChatRun {

    private static final Logger LOG = LoggerFactory.getLogger(ChatRun.class);
    /** A {@code Retry-After} longer than this fails the run rather than holding it. */
    static final Duration MAX_RETRY_WAIT = Duration.ofSeconds(60);

    private final RunId runId;
    private final RunPrimitive primitive;
    private final HttpRequest request;
    private final OpenAiSettings settings;
    private final ChatTransport transport;
    private final ObjectMapper json;
    private final RunProgressListener progress;
    private final Consumer<ChatCompletion> onCompleted;
    private final CompletableFuture<CoreApplyOutput> stage = new CompletableFuture<>();

    // All guarded by 'this'.
    private boolean decided;
    private int attempts;
    private ChatCall call;
    private ScheduledFuture<?> retry;
    private boolean reported;
    private long lastReportNanos;

    /**
     * @param onCompleted told about the completion before the stage completes with it (the transcript
     *                    is updated there, so the next run sees it)
     */
    ChatRun(RunId runId, RunPrimitive primitive, HttpRequest request, OpenAiSettings settings, ChatTransport transport,
            ObjectMapper json, RunProgressListener progress, Consumer<ChatCompletion> onCompleted) {
        this.runId = runId;
        this.primitive = primitive;
        this.request = request;
        this.settings = settings;
        this.transport = transport;
        this.json = json;
        this.progress = progress;
        this.onCompleted = onCompleted;
    }

    /** Sends the first attempt; returns the run's stage at once. */
    CompletableFuture<CoreApplyOutput> start() {
        attempt();
        return stage;
    }

    /** Ends the run with a {@link CancellationException} and aborts its request, unless it is already decided. */
    void cancel(String reason) {
        ChatCall running;
        ScheduledFuture<?> pendingRetry;
        synchronized (this) {
            if (decided) {
                return;
            }
            decided = true;
            running = call;
            pendingRetry = retry;
        }
        CancellationException cancelled = new CancellationException(reason);
        if (pendingRetry != null) {
            pendingRetry.cancel(false);
        }
        if (running != null) {
            running.abort(cancelled);
        }
        stage.completeExceptionally(cancelled);
    }

    private void attempt() {
        ChatCall started;
        OpenAiCallException refused = null;
        synchronized (this) {
            if (decided) {
                return; // cancelled while a retry was waiting
            }
            attempts++;
            try {
                // Opened under the lock that cancel() takes: a cancel either comes first (and this
                // attempt is not made) or sees this call and aborts it.
                call = transport.open(request, settings, new CompletionAccumulator(json, settings.model()), this::onChunk);
            } catch (OpenAiCallException stopped) {
                refused = stopped;
            }
            started = call;
        }
        if (refused != null) {
            fail(refused);
            return;
        }
        started.outcome().whenComplete(this::attemptEnded);
    }

    private void attemptEnded(ChatCompletion completion, Throwable error) {
        if (error == null) {
            succeed(completion);
            return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof OpenAiCallException failure && failure.retryable()) {
            synchronized (this) {
                if (decided) {
                    return;
                }
                Duration delay = failure.retryAfter().orElse(settings.retryDelay());
                if (attempts <= settings.maxRetries() && delay.compareTo(MAX_RETRY_WAIT) <= 0) {
                    LOG.info("openai run {}: attempt {} of {} failed, retrying in {} ms: {}", runId, attempts,
                            settings.maxRetries() + 1, delay.toMillis(), failure.getMessage());
                    try {
                        retry = transport.schedule(this::attempt, delay);
                        return;
                    } catch (OpenAiCallException stopped) {
                        cause = stopped;
                    }
                } else if (attempts > 1) {
                    cause = failure.afterAttempts(attempts);
                }
            }
        }
        fail(cause);
    }

    private void succeed(ChatCompletion completion) {
        synchronized (this) {
            if (decided) {
                return;
            }
            if (!settings.stream()) {
                // The whole answer at once: clients see a run's output as deltas either way.
                reportDelta(completion.text());
            }
            decided = true;
        }
        try {
            onCompleted.accept(completion);
        } catch (RuntimeException e) {
            stage.completeExceptionally(e);
            return;
        }
        stage.complete(CoreApplyOutput.completed(runId, primitive, result(completion)));
    }

    private void fail(Throwable cause) {
        synchronized (this) {
            if (decided) {
                return;
            }
            decided = true;
        }
        LOG.debug("openai run {} failed: {}", runId, cause.getMessage());
        stage.completeExceptionally(cause instanceof OpenAiCallException failure ? failure.asRunFailure() : cause);
    }

    private void onChunk(int chunks, int characters, String content) {
        synchronized (this) {
            // Reports are made under the lock that decides the run: none can follow its end (or close()).
            if (decided) {
                return;
            }
            reportDelta(content);
            long now = System.nanoTime();
            if (reported && now - lastReportNanos < settings.progressInterval().toNanos()) {
                return;
            }
            reported = true;
            lastReportNanos = now;
            try {
                progress.onProgress(runId, "streaming: " + chunks + " chunk(s), " + characters + " character(s)");
            } catch (RuntimeException e) {
                LOG.warn("openai run {}: the progress listener failed; the run goes on", runId, e);
            }
        }
    }

    /** Reports a piece of the answer; call under the lock, before the run is decided. */
    private void reportDelta(String content) {
        if (content.isEmpty()) {
            return;
        }
        try {
            progress.onOutputDelta(runId, content);
        } catch (RuntimeException e) {
            LOG.warn("openai run {}: the output listener failed; the run goes on", runId, e);
        }
    }

    private RunResult result(ChatCompletion completion) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("executor", OpenAiExecutorFactory.KIND);
        attributes.put("model", completion.model());
        completion.finishReason().ifPresent(reason -> attributes.put("finishReason", reason));
        completion.usage().ifPresent(usage -> {
            attributes.put("promptTokens", Long.toString(usage.promptTokens()));
            attributes.put("completionTokens", Long.toString(usage.completionTokens()));
            attributes.put("totalTokens", Long.toString(usage.totalTokens()));
        });
        int tries;
        synchronized (this) {
            tries = attempts;
        }
        attributes.put("attempts", Integer.toString(tries));
        return new RunResult(completion.text(), attributes);
    }
}
