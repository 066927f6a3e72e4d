package io.meerkat.runtime.core.ingress;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The content, in characters, that the unfinished inputs of every session of a runtime may hold
 * together. Thread safe: sessions reserve and release under their own locks, concurrently.
 *
 * <p>Invariant: {@link #used()} never exceeds the limit; a reservation that would pass it is refused
 * and changes nothing.
 */
public final class QueuedPayloadBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    /** @param limit the most characters held at once */
    public QueuedPayloadBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        this.limit = limit;
    }

    /** A budget that never refuses (for a lone ingress, in tests). */
    public static QueuedPayloadBudget unbounded() {
        return new QueuedPayloadBudget(Long.MAX_VALUE);
    }

    /** Takes {@code chars} if they fit; {@code false} (and nothing taken) if they do not. */
    boolean tryReserve(long chars) {
        while (true) {
            long current = used.get();
            // Written as a subtraction: limit may be Long.MAX_VALUE.
            if (chars > limit - current) {
                return false;
            }
            // Compare-and-set: two sessions reserving at once cannot both take the last room.
            if (used.compareAndSet(current, current + chars)) {
                return true;
            }
        }
    }

    void release(long chars) {
        used.addAndGet(-chars);
    }

    /** Characters held now. */
    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }
}
