package io.meerkat.runtime.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Typed reads of an executor's configuration: values, defaults, and errors that say what is wrong. */
class ExecutorConfigTest {

    private final ExecutorConfig config = new ExecutorConfig("demo", Map.of(
            "name", "agent", "blank", "  ", "count", "42", "rate", "0.25", "delayMs", "1500", "word", "soon",
            "on", "TRUE", "off", "false", "typo", "yes"));

    @Test
    void readsValuesAndFallsBackToDefaultsForMissingOrBlankKeys() {
        assertEquals(Optional.of("agent"), config.string("name"));
        assertEquals(Optional.empty(), config.string("blank"));
        assertEquals("fallback", config.string("absent", "fallback"));
        assertEquals(42, config.longValue("count", 0, 0, 100));
        assertEquals(7, config.longValue("absent", 7, 0, 100));
        assertEquals(0.25, config.doubleValue("rate", 0, 0, 1));
        assertEquals(Duration.ofMillis(1500), config.millis("delayMs", Duration.ZERO));
        assertEquals(Duration.ofSeconds(3), config.millis("absent", Duration.ofSeconds(3)));
    }

    @Test
    void errorsNameTheExecutorTheKeyTheExpectationAndTheValue() {
        assertEquals("executor 'demo': config 'absent' is required",
                assertThrows(IllegalArgumentException.class, () -> config.required("absent")).getMessage());
        assertEquals("executor 'demo': config 'word' must be a whole number, was 'soon'",
                assertThrows(IllegalArgumentException.class, () -> config.longValue("word", 0, 0, 10)).getMessage());
        assertEquals("executor 'demo': config 'count' must be between 0 and 10, was '42'",
                assertThrows(IllegalArgumentException.class, () -> config.longValue("count", 0, 0, 10)).getMessage());
        assertEquals("executor 'demo': config 'word' must be a number, was 'soon'",
                assertThrows(IllegalArgumentException.class, () -> config.doubleValue("word", 0, 0, 1)).getMessage());
        assertEquals("executor 'demo': config 'count' must be between 0.0 and 1.0, was '42'",
                assertThrows(IllegalArgumentException.class, () -> config.doubleValue("count", 0, 0, 1)).getMessage());
    }

    @Test
    void readsIntsBooleansAndBoundedDurations() {
        assertEquals(42, config.intValue("count", 0, 0, 100));
        assertEquals(5, config.intValue("absent", 5, 0, 100));
        assertEquals(true, config.bool("on", false));
        assertEquals(false, config.bool("off", true));
        assertEquals(true, config.bool("absent", true));
        assertEquals(Duration.ofMillis(1500), config.millis("delayMs", Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2)));
        assertEquals("executor 'demo': config 'typo' must be true or false, was 'yes'",
                assertThrows(IllegalArgumentException.class, () -> config.bool("typo", false)).getMessage());
        assertEquals("executor 'demo': config 'count' must be between 0 and 10, was '42'",
                assertThrows(IllegalArgumentException.class, () -> config.intValue("count", 0, 0, 10)).getMessage());
        assertEquals("executor 'demo': config 'delayMs' must be between 2000 and 3000, was '1500'",
                assertThrows(IllegalArgumentException.class,
                        () -> config.millis("delayMs", Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(3))).getMessage());
    }

    @Test
    void aContextReadsItsOwnConfiguration() {
        ExecutorContext context = new ExecutorContext(io.meerkat.runtime.api.SessionId.random(), "demo",
                Map.of("count", "3"), Runnable::run);
        assertEquals(3, context.typedConfig().longValue("count", 0, 0, 10));
        assertEquals(RunProgressListener.NONE, context.progress());
    }
}
