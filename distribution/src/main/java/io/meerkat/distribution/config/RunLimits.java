package io.meerkat.distribution.config;

import io.meerkat.runtime.core.policy.RetryPolicy;
import java.time.Duration;

/**
 * How long runs may take and how failed ones are retried.
 *
 * @param maxRunDurationMs     the longest a run may go on before it is cancelled, its inputs abandoned
 *                             {@code TIMED_OUT} ({@code meerkat.runtime.max-run-duration-ms}); also the
 *                             most a client may ask for with {@code maxRunDurationMs}
 * @param retryMaxAttempts     runs an input may take part in ({@code meerkat.runtime.retry.max-attempts})
 * @param retryInitialBackoffMs the wait after an input's first failed run
 *                             ({@code meerkat.runtime.retry.initial-backoff-ms}); it doubles per failure
 * @param retryMaxBackoffMs    the longest wait between two runs of an input
 *                             ({@code meerkat.runtime.retry.max-backoff-ms})
 */
public record RunLimits(long maxRunDurationMs, int retryMaxAttempts, long retryInitialBackoffMs,
                        long retryMaxBackoffMs) {

    /** The default for {@code maxRunDurationMs}: one hour. */
    public static final long DEFAULT_MAX_RUN_DURATION_MS = 3_600_000L;

    /** The default limit as a duration. */
    public Duration maxRunDuration() {
        return Duration.ofMillis(maxRunDurationMs);
    }

    /** The retry policy these settings make: the runtime's default one with these attempts and waits. */
    public RetryPolicy retryPolicy() {
        return RetryPolicy.defaults().withMaxAttempts(retryMaxAttempts)
                .withBackoff(Duration.ofMillis(retryInitialBackoffMs), Duration.ofMillis(retryMaxBackoffMs));
    }

    /**
     * @throws ConfigException naming the first setting out of range
     */
    void validate() {
        if (maxRunDurationMs <= 0) {
            throw new ConfigException(ConfigLoader.MAX_RUN_DURATION_MS + " must be positive, was " + maxRunDurationMs);
        }
        if (retryMaxAttempts < 1) {
            throw new ConfigException(ConfigLoader.RETRY_MAX_ATTEMPTS + " must be at least 1, was " + retryMaxAttempts);
        }
        if (retryInitialBackoffMs < 0 || retryMaxBackoffMs < retryInitialBackoffMs) {
            throw new ConfigException("need 0 <= " + ConfigLoader.RETRY_INITIAL_BACKOFF_MS + " <= "
                    + ConfigLoader.RETRY_MAX_BACKOFF_MS + ", were " + retryInitialBackoffMs + " and " + retryMaxBackoffMs);
        }
    }
}
