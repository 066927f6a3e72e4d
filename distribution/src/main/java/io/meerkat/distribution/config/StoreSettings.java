package io.meerkat.distribution.config;

import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * How the runtime store keeps what it holds: how long finished inputs and ended sessions stay, and how
 * durable a SQLite commit is.
 *
 * @param keepPerSession    finished inputs each session keeps, in memory and in the store, for lookups and for
 *                          deduplicating a resubmit ({@code meerkat.store.keep-per-session})
 * @param maxAgeMs          finished inputs, and sessions stopped or destroyed, older than this are pruned
 *                          ({@code meerkat.store.max-age-ms})
 * @param pruneIntervalMs   how often the store is pruned ({@code meerkat.store.prune-interval-ms})
 * @param sqliteSynchronous {@code FULL}: a commit survives a power loss; {@code NORMAL}: it survives a crash of
 *                          the process, faster ({@code meerkat.store.sqlite.synchronous})
 */
public record StoreSettings(int keepPerSession, long maxAgeMs, long pruneIntervalMs, String sqliteSynchronous) {

    public static final int DEFAULT_KEEP_PER_SESSION = MeerkatRuntimeBuilder.DEFAULT_FINISHED_INPUT_RETENTION;
    public static final long DEFAULT_MAX_AGE_MS = MeerkatRuntimeBuilder.DEFAULT_STORE_MAX_AGE.toMillis();
    public static final long DEFAULT_PRUNE_INTERVAL_MS = MeerkatRuntimeBuilder.DEFAULT_STORE_PRUNE_EVERY.toMillis();
    public static final String DEFAULT_SQLITE_SYNCHRONOUS = "FULL";

    private static final Set<String> SYNCHRONOUS = Set.of("FULL", "NORMAL");

    public StoreSettings {
        sqliteSynchronous = sqliteSynchronous.trim().toUpperCase(Locale.ROOT);
    }

    public Duration maxAge() {
        return Duration.ofMillis(maxAgeMs);
    }

    public Duration pruneInterval() {
        return Duration.ofMillis(pruneIntervalMs);
    }

    /**
     * @throws ConfigException naming the first setting out of range
     */
    void validate() {
        if (keepPerSession < 1) {
            throw new ConfigException(ConfigLoader.STORE_KEEP_PER_SESSION + " must be at least 1, was " + keepPerSession);
        }
        if (maxAgeMs < 0) {
            throw new ConfigException(ConfigLoader.STORE_MAX_AGE_MS + " must not be negative, was " + maxAgeMs);
        }
        if (pruneIntervalMs <= 0) {
            throw new ConfigException(ConfigLoader.STORE_PRUNE_INTERVAL_MS + " must be positive, was " + pruneIntervalMs);
        }
        if (!SYNCHRONOUS.contains(sqliteSynchronous)) {
            throw new ConfigException(ConfigLoader.STORE_SQLITE_SYNCHRONOUS + " must be FULL or NORMAL, was '"
                    + sqliteSynchronous + "'");
        }
    }
}
