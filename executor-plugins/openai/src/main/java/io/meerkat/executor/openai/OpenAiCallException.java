package io.meerkat.executor.openai;

import io.meerkat.runtime.api.spi.PermanentFailureException;
import java.time.Duration;
import java.util.Optional;

/**
 * Why a chat-completions call failed, in words an operator can act on: every message starts with
 * {@code executor 'openai':} and, for an HTTP error, names the status and quotes the start of the
 * error body. It never contains the API key.
 */
final class OpenAiCallException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private static final String PREFIX = "executor '" + OpenAiExecutorFactory.KIND + "': ";
    private static final int SNIPPET_CHARS = 300;

    private final boolean retryable;
    private final boolean permanent;
    private final transient Duration retryAfter;

    private OpenAiCallException(String message, boolean retryable, boolean permanent, Duration retryAfter,
                                Throwable cause) {
        super(PREFIX + message, cause);
        this.retryable = retryable;
        this.permanent = permanent;
        this.retryAfter = retryAfter;
    }

    /** A failure that no retry would cure. */
    static OpenAiCallException of(String message) {
        return new OpenAiCallException(message, false, false, null, null);
    }

    /** A failure caused by {@code cause}, e.g. a refused connection. */
    static OpenAiCallException of(String message, Throwable cause) {
        return new OpenAiCallException(message, false, false, null, cause);
    }

    /**
     * A response with a non-2xx status. 429 and 5xx are retryable (the server may take the same
     * request later); the rest are not, and a 4xx other than 408 is permanent: the same request would be
     * refused again, so the runtime does not run it again either.
     *
     * @param retryAfterHeader the {@code Retry-After} header, if sent
     * @param body             the start of the error body
     */
    static OpenAiCallException status(int status, Optional<String> retryAfterHeader, String body) {
        Optional<Duration> retryAfter = retryAfterHeader.flatMap(OpenAiCallException::seconds);
        StringBuilder detail = new StringBuilder(status == 429 ? "rate limited (HTTP 429"
                : "the server answered HTTP " + status + (status >= 500 ? " (server error" : " (request refused"));
        retryAfterHeader.ifPresent(value -> detail.append(", Retry-After: ").append(value.trim()));
        detail.append(')');
        String snippet = snippet(body);
        boolean retryable = status == 429 || status >= 500;
        boolean permanent = status >= 400 && status < 500 && status != 429 && status != 408;
        return new OpenAiCallException(detail + (snippet.isEmpty() ? "" : ": " + snippet), retryable, permanent,
                retryAfter.orElse(null), null);
    }

    /**
     * The same failure, saying how many attempts were made; permanent, since the executor has retried it
     * already (the runtime retrying too would multiply the attempts).
     */
    OpenAiCallException afterAttempts(int attempts) {
        return new OpenAiCallException(getMessage().substring(PREFIX.length()) + " (gave up after " + attempts
                + " attempts)", false, true, retryAfter, this);
    }

    /**
     * How the run's stage fails with this: wrapped in a {@link PermanentFailureException} when retrying
     * the run would not help, so that the runtime abandons its inputs at once.
     */
    RuntimeException asRunFailure() {
        return permanent ? new PermanentFailureException(getMessage(), this) : this;
    }

    /** Whether the same request may succeed if sent again (and nothing was streamed yet). */
    boolean retryable() {
        return retryable;
    }

    /** How long the server asked to wait before another try, from a {@code Retry-After} in seconds. */
    Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** The text, whitespace collapsed, cut to a few hundred characters. */
    static String snippet(String text) {
        String flat = text.strip().replaceAll("\\s+", " ");
        return flat.length() <= SNIPPET_CHARS ? flat : flat.substring(0, SNIPPET_CHARS) + "...";
    }

    private static Optional<Duration> seconds(String header) {
        try {
            long seconds = Long.parseLong(header.trim());
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException httpDate) {
            // The HTTP-date form is quoted in the message but not used as a delay.
            return Optional.empty();
        }
    }
}
