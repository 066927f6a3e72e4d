package io.meerkat.runtime.api.cluster;

import java.time.Duration;

/**
 * What a {@link RuntimeCluster#drain} did.
 *
 * @param released  sessions let go for other nodes to claim
 * @param cutShort  runs still in flight at the deadline, cancelled (they run again on the next owner)
 * @param took      how long the drain took
 */
public record DrainReport(int released, int cutShort, Duration took) {
}
