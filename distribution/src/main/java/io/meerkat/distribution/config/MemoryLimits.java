package io.meerkat.distribution.config;

/**
 * What the launcher's runtime may hold in memory on behalf of clients.
 *
 * @param maxQueuedInputs          unfinished inputs one session holds ({@code meerkat.session.max-queued-inputs})
 * @param maxQueuedCharsPerSession characters of content one session's unfinished inputs hold
 *                                 ({@code meerkat.session.max-queued-chars})
 * @param maxQueuedCharsRuntime    characters of content the unfinished inputs of all sessions hold, each
 *                                 input counting 256 more ({@code meerkat.runtime.max-queued-chars})
 * @param maxRetainedResultBytes   bytes of finished inputs' outcomes each outcome cache keeps (the API's
 *                                 and the outcome-history registry's; {@code meerkat.results.max-retained-bytes})
 * @param maxSessions              sessions clients of the API may create ({@code meerkat.runtime.max-sessions});
 *                                 each holds its ledger of finished inputs, and an agent process while it runs
 */
public record MemoryLimits(int maxQueuedInputs, long maxQueuedCharsPerSession, long maxQueuedCharsRuntime,
                           long maxRetainedResultBytes, int maxSessions) {

    /** The default for {@code maxSessions}. */
    public static final int DEFAULT_MAX_SESSIONS = 10_000;

    /** The default for {@code maxRetainedResultBytes}: an eighth of the heap's maximum, at most 64 MiB. */
    public static long defaultMaxRetainedResultBytes() {
        return Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8);
    }

    /**
     * @throws ConfigException naming the first setting that is not positive
     */
    void validate() {
        requirePositive(ConfigLoader.MAX_QUEUED_INPUTS, maxQueuedInputs);
        requirePositive(ConfigLoader.MAX_QUEUED_CHARS_PER_SESSION, maxQueuedCharsPerSession);
        requirePositive(ConfigLoader.MAX_QUEUED_CHARS_RUNTIME, maxQueuedCharsRuntime);
        requirePositive(ConfigLoader.MAX_RETAINED_RESULT_BYTES, maxRetainedResultBytes);
        requirePositive(ConfigLoader.MAX_SESSIONS, maxSessions);
    }

    private static void requirePositive(String key, long value) {
        if (value <= 0) {
            throw new ConfigException(key + " must be positive, was " + value);
        }
    }
}
