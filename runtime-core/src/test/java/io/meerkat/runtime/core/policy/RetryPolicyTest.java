package io.meerkat.runtime.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x5E77_1E5L);

    @Test
    void theWaitStartsAtTheInitialBackoffAndDoubles() {
        RetryPolicy policy = RetryPolicy.defaults();
        assertEquals(Duration.ofMillis(200), policy.backoffAfter(1, 0.5));
        assertEquals(Duration.ofMillis(400), policy.backoffAfter(2, 0.5));
        assertEquals(Duration.ofMillis(800), policy.backoffAfter(3, 0.5));
    }

    @Test
    void theWaitNeverExceedsTheMaximum() {
        RetryPolicy policy = RetryPolicy.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));
        assertEquals(Duration.ofSeconds(1), policy.backoffAfter(10, 0.5));
        assertEquals(Duration.ofSeconds(1), policy.backoffAfter(10, 0.999), "jitter does not push past it");
        assertEquals(Duration.ofSeconds(1), policy.backoffAfter(Integer.MAX_VALUE, 0.5));
    }

    @RepeatedTest(5)
    void jitterStaysWithinItsFraction(RepetitionInfo repetition) {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        Random random = new Random(seed);
        RetryPolicy policy = RetryPolicy.defaults();
        for (int i = 0; i < 1_000; i++) {
            int failures = 1 + random.nextInt(5);
            Duration wait = policy.backoffAfter(failures, random.nextDouble());
            long centre = Math.min(200L << (failures - 1), 30_000L);
            assertTrue(wait.toMillis() >= centre * 0.8 - 1 && wait.toMillis() <= centre * 1.2 + 1,
                    wait + " after " + failures + " failures; seed " + seed);
        }
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().withMaxAttempts(0));
        assertThrows(IllegalArgumentException.class,
                () -> RetryPolicy.defaults().withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(3, Duration.ZERO, 0.5, Duration.ZERO, 0.0));
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(3, Duration.ZERO, 2.0, Duration.ZERO, 1.0));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().backoffAfter(0, 0.5));
    }

    @Test
    void neverRetries() {
        assertEquals(1, RetryPolicy.never().maxAttempts());
        assertEquals(Duration.ZERO, RetryPolicy.never().backoffAfter(1, 0.7));
    }
}
