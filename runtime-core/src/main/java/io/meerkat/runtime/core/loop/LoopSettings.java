package io.meerkat.runtime.core.loop;

import io.meerkat.runtime.core.policy.DelayScheduler;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * What one session's runtime loop is tuned with.
 *
 * @param throughput     units of work one pass may run before yielding its thread to other sessions
 * @param retryPolicy    how long to wait before retrying the inputs of a failed run
 * @param maxRunDuration how long a run may go on before the loop cancels it; {@code null} for no limit
 * @param delays         where the loop schedules backoffs and run time limits
 */
public record LoopSettings(int throughput, RetryPolicy retryPolicy, Duration maxRunDuration, DelayScheduler delays) {

    public LoopSettings {
        if (throughput <= 0) {
            throw new IllegalArgumentException("throughput must be positive, was " + throughput);
        }
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        Objects.requireNonNull(delays, "delays");
    }
}
