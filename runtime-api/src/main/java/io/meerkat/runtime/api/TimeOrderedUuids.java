package io.meerkat.runtime.api;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Mints version-7 UUIDs (48-bit millisecond timestamp, then random bits) without the lock and
 * entropy cost of {@link UUID#randomUUID()}: ids are hot-path objects minted for every input and run.
 * They sort by creation time, which keeps logs and stores readable. They are unique, not secret.
 */
final class TimeOrderedUuids {

    private TimeOrderedUuids() {
    }

    static UUID next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long millis = System.currentTimeMillis();
        long msb = (millis << 16) | 0x7000L | (random.nextInt() & 0x0FFFL);
        long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb);
    }
}
