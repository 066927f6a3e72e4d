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
 */
public record MemoryLimits(int maxQueuedInputs, long maxQueuedCharsPerSession, long maxQueuedCharsRuntime,
                           long maxRetainedResultBytes) {

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
    }

    private static void requirePositive(String key, long value) {
        if (value <= 0) {
            throw new ConfigException(key + " must be positive, was " + value);
        }
    }
}
