package io.meerkat.runtime.api.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A session's executor configuration read as typed values. Every getter either returns a valid
 * value or throws {@link IllegalArgumentException} naming the executor kind, the key, what was
 * expected and what was given, which the runtime reports as the reason the session was refused.
 *
 * @param kind   the executor kind, for error messages
 * @param values the raw string values
 */
public record ExecutorConfig(String kind, Map<String, String> values) {

    public ExecutorConfig {
        Objects.requireNonNull(kind, "kind");
        values = Map.copyOf(values);
    }

    /** The value of {@code key}, if set and not blank. */
    public Optional<String> string(String key) {
        String value = values.get(key);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    public String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    /** The value of {@code key}, which must be set. */
    public String required(String key) {
        return string(key).orElseThrow(() -> invalid(key, "is required", null));
    }

    /** A whole number in {@code [min, max]}. */
    public long longValue(String key, long defaultValue, long min, long max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            long value = Long.parseLong(raw.get().trim());
            if (value < min || value > max) {
                throw invalid(key, "must be between " + min + " and " + max, raw.get());
            }
            return value;
        } catch (NumberFormatException e) {
            throw invalid(key, "must be a whole number", raw.get());
        }
    }

    /** A number in {@code [min, max]}. */
    public double doubleValue(String key, double defaultValue, double min, double max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            double value = Double.parseDouble(raw.get().trim());
            if (!(value >= min && value <= max)) {
                throw invalid(key, "must be between " + min + " and " + max, raw.get());
            }
            return value;
        } catch (NumberFormatException e) {
            throw invalid(key, "must be a number", raw.get());
        }
    }

    /** A whole number in {@code [min, max]}, for keys that fit an {@code int}. */
    public int intValue(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    /** {@code true} or {@code false} (any case); anything else is refused rather than read as {@code false}. */
    public boolean bool(String key, boolean defaultValue) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        String value = raw.get().trim();
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw invalid(key, "must be true or false", raw.get());
    }

    /** A duration given in whole milliseconds, at least zero. */
    public Duration millis(String key, Duration defaultValue) {
        return millis(key, defaultValue, Duration.ZERO, Duration.ofMillis(Long.MAX_VALUE));
    }

    /** A duration given in whole milliseconds, from zero to {@code max}. */
    public Duration millis(String key, Duration defaultValue, Duration max) {
        return millis(key, defaultValue, Duration.ZERO, max);
    }

    /** A duration given in whole milliseconds, in {@code [min, max]}. */
    public Duration millis(String key, Duration defaultValue, Duration min, Duration max) {
        return Duration.ofMillis(longValue(key, defaultValue.toMillis(), min.toMillis(), max.toMillis()));
    }

    private IllegalArgumentException invalid(String key, String expectation, String given) {
        return new IllegalArgumentException("executor '" + kind + "': config '" + key + "' " + expectation
                + (given == null ? "" : ", was '" + given + "'"));
    }
}
