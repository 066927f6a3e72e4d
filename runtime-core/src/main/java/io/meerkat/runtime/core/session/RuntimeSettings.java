package io.meerkat.runtime.core.session;

import io.meerkat.runtime.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * The tunables of a runtime, fixed when it is built.
 *
 * @param maxPayloadChars              the largest input content accepted, in characters
 * @param finishedInputRetention       terminal inputs each session keeps for lookups and dedup
 * @param maxBatchSize                 the most inputs one run may take
 * @param loopThroughput               units of work a loop runs before yielding its thread
 * @param shutdownTimeoutMillis        how long {@code close()} waits for loops to end
 * @param maxQueuedInputs              the most unfinished inputs one session holds
 * @param maxQueuedCharsPerSession     the most content, in characters, one session's unfinished inputs hold
 * @param maxQueuedCharsRuntime        the most content, in characters, the unfinished inputs of every
 *                                     session hold together, each counted with a fixed overhead
 *                                     ({@link io.meerkat.runtime.core.ingress.QueuedPayloadBudget})
 * @param retryPolicy                  how the inputs of a failed run are retried
 * @param maxRunDuration               how long a run may go on before it is cancelled, for sessions that do
 *                                     not set their own; {@code null} for no limit
 */
public record RuntimeSettings(long maxPayloadChars, int finishedInputRetention, int maxBatchSize,
                              int loopThroughput, long shutdownTimeoutMillis, int maxQueuedInputs,
                              long maxQueuedCharsPerSession, long maxQueuedCharsRuntime,
                              RetryPolicy retryPolicy, Duration maxRunDuration) {

    /** The default bound on one session's unfinished inputs. */
    public static final int DEFAULT_MAX_QUEUED_INPUTS = 10_000;

    /** The default bound on the content of one session's unfinished inputs: 64 Mi characters. */
    public static final long DEFAULT_MAX_QUEUED_CHARS_PER_SESSION = 64L << 20;

    public RuntimeSettings {
        requirePositive(maxPayloadChars, "maxPayloadChars");
        requirePositive(finishedInputRetention, "finishedInputRetention");
        requirePositive(maxBatchSize, "maxBatchSize");
        requirePositive(loopThroughput, "loopThroughput");
        requirePositive(shutdownTimeoutMillis, "shutdownTimeoutMillis");
        requirePositive(maxQueuedInputs, "maxQueuedInputs");
        requirePositive(maxQueuedCharsPerSession, "maxQueuedCharsPerSession");
        requirePositive(maxQueuedCharsRuntime, "maxQueuedCharsRuntime");
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        requirePositive(maxRunDuration);
    }

    /**
     * 1 Mi characters, 10,000 finished inputs, batches of 1,024, 64 units per pass, 10 s to close;
     * 10,000 unfinished inputs and 64 Mi characters per session; runtime-wide, an eighth of the heap's
     * maximum in characters (at most a quarter of the heap even for two-byte characters), and never less
     * than one largest input; {@link RetryPolicy#defaults()}; no limit on a run's duration.
     */
    public static RuntimeSettings defaults() {
        return new RuntimeSettings(1 << 20, 10_000, 1024, 64, 10_000, DEFAULT_MAX_QUEUED_INPUTS,
                DEFAULT_MAX_QUEUED_CHARS_PER_SESSION, defaultMaxQueuedCharsRuntime(), RetryPolicy.defaults(), null);
    }

    /**
     * Checks a run duration limit: {@code null} (no limit) or positive.
     *
     * @throws IllegalArgumentException if it is zero or negative
     */
    public static Duration requirePositive(Duration maxRunDuration) {
        if (maxRunDuration != null && (maxRunDuration.isZero() || maxRunDuration.isNegative())) {
            throw new IllegalArgumentException("maxRunDuration must be positive, was " + maxRunDuration);
        }
        return maxRunDuration;
    }

    /** An eighth of the heap's maximum, in characters, at least 1 Mi. */
    public static long defaultMaxQueuedCharsRuntime() {
        return Math.max(1L << 20, Runtime.getRuntime().maxMemory() / 8);
    }

    private static void requirePositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
