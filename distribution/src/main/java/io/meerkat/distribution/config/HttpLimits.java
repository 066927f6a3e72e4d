package io.meerkat.distribution.config;

/**
 * What the HTTP server grants one client, so that a few slow or idle ones cannot take it from the rest.
 *
 * @param maxConnections        the most connections open at once; past it, new ones wait in the
 *                              operating system's accept queue until one closes
 * @param minRequestDataRate    the slowest a request body may arrive, in bytes per second, checked on a timer:
 *                              over every window of the idle timeout (at least a second), and whole within
 *                              1 s + its declared length at this rate; slower bodies are answered 408.
 *                              0 turns the check off (the idle timeout still applies)
 * @param idleTimeoutMs         how long a connection may stay silent (no byte either way) before it is closed;
 *                              a request whose body stops arriving is answered 408
 * @param maxBufferedBodyBytes  the request body bytes held at once by all requests together, launcher-wide;
 *                              a request that would pass it is answered 503 {@code server_busy}
 * @param maxEventStreams       the event streams open at once; below {@code maxConnections}
 * @param maxPendingCompletions the completion requests waiting at once; below {@code maxConnections}
 * @param maxBufferedEventBytes the bytes of events held at once for event-stream clients that have not read
 *                              them yet, launcher-wide; past it a stream drops events (a gap in its sequence)
 */
public record HttpLimits(int maxConnections, long minRequestDataRate, long idleTimeoutMs, long maxBufferedBodyBytes,
                         int maxEventStreams, int maxPendingCompletions, long maxBufferedEventBytes) {

    public static final int DEFAULT_MAX_CONNECTIONS = 1_000;
    public static final long DEFAULT_MIN_REQUEST_DATA_RATE = 1_024;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
    public static final int DEFAULT_MAX_EVENT_STREAMS = 256;
    public static final int DEFAULT_MAX_PENDING_COMPLETIONS = 512;

    /** The default for {@code maxBufferedBodyBytes}: an eighth of the heap's maximum, at most 64 MiB. */
    public static long defaultMaxBufferedBodyBytes() {
        return Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8);
    }

    /** The default for {@code maxBufferedEventBytes}: a sixteenth of the heap's maximum, at most 32 MiB. */
    public static long defaultMaxBufferedEventBytes() {
        return Math.min(32L << 20, Runtime.getRuntime().maxMemory() / 16);
    }

    /**
     * @throws ConfigException naming the key of the first value out of range
     */
    void validate() {
        if (maxConnections < 1) {
            throw new ConfigException(ConfigLoader.MAX_CONNECTIONS + " must be at least 1, was " + maxConnections);
        }
        if (minRequestDataRate < 0) {
            throw new ConfigException(ConfigLoader.MIN_REQUEST_DATA_RATE + " must be 0 (off) or positive, was "
                    + minRequestDataRate);
        }
        if (idleTimeoutMs < 1) {
            throw new ConfigException(ConfigLoader.IDLE_TIMEOUT_MS + " must be positive, was " + idleTimeoutMs);
        }
        if (maxBufferedBodyBytes < 1) {
            throw new ConfigException(ConfigLoader.MAX_BUFFERED_BODY_BYTES + " must be positive, was "
                    + maxBufferedBodyBytes);
        }
        if (maxBufferedEventBytes < 1) {
            throw new ConfigException(ConfigLoader.MAX_BUFFERED_EVENT_BYTES + " must be positive, was "
                    + maxBufferedEventBytes);
        }
        requireBelowConnections(ConfigLoader.MAX_EVENT_STREAMS, maxEventStreams);
        requireBelowConnections(ConfigLoader.MAX_PENDING_COMPLETIONS, maxPendingCompletions);
    }

    /** A kind of long-lived request may not take every connection: some must stay for health and the rest. */
    private void requireBelowConnections(String key, int value) {
        if (value < 1 || value >= maxConnections) {
            throw new ConfigException(key + " must be at least 1 and below " + ConfigLoader.MAX_CONNECTIONS + " ("
                    + maxConnections + "), was " + value);
        }
    }
}
