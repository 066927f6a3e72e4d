package io.meerkat.runtime.store;

import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.StoredInput;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The rules every store of this module applies the same way, so the providers cannot drift apart. */
final class StoreRules {

    private StoreRules() {
    }

    /**
     * When a stored input finished, for pruning by age: the time of its last transition, the epoch for a
     * finished input without history; {@code null} while it is not finished.
     */
    static Instant finishedAt(StoredInput input) {
        if (!input.status().state().isTerminal()) {
            return null;
        }
        List<InputTransitionRecord> history = input.status().history();
        return history.isEmpty() ? Instant.EPOCH : history.get(history.size() - 1).at();
    }

    /** A refused or failed commit, with what the caller needs to know and nothing of the payload. */
    static StoreUnavailableException commitFailed(String provider, String why, Throwable cause) {
        return new StoreUnavailableException(provider + " store: the commit failed and wrote nothing: " + why, cause);
    }

    /** A setting read as a positive whole number. */
    static int positiveInt(Map<String, String> settings, String key, int defaultValue) {
        String raw = settings.get(key);
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        int value;
        try {
            value = Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(invalid(key, raw), e);
        }
        if (value <= 0) {
            throw new IllegalArgumentException(invalid(key, raw));
        }
        return value;
    }

    private static String invalid(String key, String raw) {
        return "store setting '" + key + "' must be a positive whole number, was '" + raw + "'";
    }

    /** Nanoseconds since the epoch, saturated at the ends of {@code long} (years 1677 and 2262). */
    static long epochNanos(Instant instant) {
        long seconds = instant.getEpochSecond();
        if (seconds >= Long.MAX_VALUE / 1_000_000_000L) {
            return Long.MAX_VALUE;
        }
        if (seconds <= Long.MIN_VALUE / 1_000_000_000L) {
            return Long.MIN_VALUE;
        }
        return seconds * 1_000_000_000L + instant.getNano();
    }
}
