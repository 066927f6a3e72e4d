package io.meerkat.runtime.core.session;

/**
 * The tunables of a runtime, fixed when it is built.
 *
 * @param maxPayloadChars        the largest input content accepted, in characters
 * @param finishedInputRetention terminal inputs each session keeps for lookups and dedup
 * @param maxBatchSize           the most inputs one run may take
 * @param loopThroughput         units of work a loop runs before yielding its thread
 * @param shutdownTimeoutMillis  how long {@code close()} waits for loops to end
 */
public record RuntimeSettings(long maxPayloadChars, int finishedInputRetention, int maxBatchSize,
                              int loopThroughput, long shutdownTimeoutMillis) {

    public RuntimeSettings {
        requirePositive(maxPayloadChars, "maxPayloadChars");
        requirePositive(finishedInputRetention, "finishedInputRetention");
        requirePositive(maxBatchSize, "maxBatchSize");
        requirePositive(loopThroughput, "loopThroughput");
        requirePositive(shutdownTimeoutMillis, "shutdownTimeoutMillis");
    }

    /** 1 Mi characters, 10,000 finished inputs, batches of 1,024, 64 units per pass, 10 s to close. */
    public static RuntimeSettings defaults() {
        return new RuntimeSettings(1 << 20, 10_000, 1024, 64, 10_000);
    }

    private static void requirePositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
