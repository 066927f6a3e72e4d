package io.meerkat.runtime.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * How a session retries the inputs of a failed run. An input takes part in at most {@code maxAttempts}
 * runs; after a failed one it goes back to the front of its lane and the session starts no run until a
 * backoff has passed: {@code initialBackoff} after the first failure, multiplied by {@code multiplier}
 * after each further one, never more than {@code maxBackoff}, each spread by up to &plusmn;{@code jitter}
 * (a fraction) so that sessions failing together do not retry in step. Control commands are served while
 * the session backs off. A failure the executor marks permanent
 * ({@link io.meerkat.runtime.api.spi.PermanentFailureException}) is never retried.
 *
 * @param maxAttempts    runs an input may take part in, at least 1 (1: never retried)
 * @param initialBackoff the wait after an input's first failed run
 * @param multiplier     the growth of the wait per further failure, at least 1
 * @param maxBackoff     the longest wait
 * @param jitter         the spread of each wait, a fraction in [0, 1)
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff,
                          double jitter) {

    /** The default number of runs an input may take part in. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff, was "
                    + initialBackoff + " and " + maxBackoff);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be at least 1, was " + multiplier);
        }
        if (!(jitter >= 0.0 && jitter < 1.0)) {
            throw new IllegalArgumentException("jitter must be in [0, 1), was " + jitter);
        }
    }

    /** Three attempts; 200 ms, then 400 ms; at most 30 s; &plusmn;20 %. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(DEFAULT_MAX_ATTEMPTS, Duration.ofMillis(200), 2.0, Duration.ofSeconds(30), 0.2);
    }

    /** A failed run's inputs are abandoned at once. */
    public static RetryPolicy never() {
        return new RetryPolicy(1, Duration.ZERO, 1.0, Duration.ZERO, 0.0);
    }

    /** This policy with another number of attempts. */
    public RetryPolicy withMaxAttempts(int attempts) {
        return new RetryPolicy(attempts, initialBackoff, multiplier, maxBackoff, jitter);
    }

    /** This policy with other waits. */
    public RetryPolicy withBackoff(Duration initial, Duration max) {
        return new RetryPolicy(maxAttempts, initial, multiplier, max, jitter);
    }

    /**
     * The wait before the next run, once an input has failed {@code failures} runs.
     *
     * @param random a value in [0, 1) that places the wait within its jitter (0.5: no spread)
     */
    public Duration backoffAfter(int failures, double random) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1, was " + failures);
        }
        double nanos = initialBackoff.toNanos() * Math.pow(multiplier, failures - 1);
        nanos = Math.min(nanos, maxBackoff.toNanos());
        nanos *= 1.0 + jitter * (2.0 * random - 1.0);
        return Duration.ofNanos(Math.max(0L, Math.min((long) nanos, maxBackoff.toNanos())));
    }
}
