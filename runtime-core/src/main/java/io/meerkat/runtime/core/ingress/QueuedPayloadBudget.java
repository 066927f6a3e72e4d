package io.meerkat.runtime.core.ingress;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The content, in characters, that the unfinished inputs of every session of a runtime may hold
 * together, each input counted as its content plus {@value #PER_INPUT_CHARS} characters for what holding
 * it costs besides (its records, ledger and lane entries, its waiter): so the budget bounds the heap even
 * for many tiny inputs. Thread safe: sessions reserve and release under their own locks, concurrently.
 *
 * <p>Invariant: {@link #used()} never exceeds the limit; a reservation that would pass it is refused
 * and changes nothing.
 */
public final class QueuedPayloadBudget {

    /**
     * What an input costs the budget besides its content, in characters: 512 bytes at two a character,
     * against ~430 bytes of heap measured per queued empty prompt with its waiter (JDK 17).
     */
    public static final long PER_INPUT_CHARS = 256;

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

    /** Takes an input of {@code contentChars} if it fits; {@code false} (and nothing taken) if it does not. */
    boolean tryReserve(long contentChars) {
        long chars = contentChars + PER_INPUT_CHARS;
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

    /**
     * Takes an input of {@code contentChars} even past the limit: for inputs recovered from a store, which
     * were accepted before and must not be lost because the bounds shrank meanwhile.
     */
    void forceReserve(long contentChars) {
        used.addAndGet(contentChars + PER_INPUT_CHARS);
    }

    /** Gives back what {@link #tryReserve} took for an input of {@code contentChars}. */
    void release(long contentChars) {
        release(contentChars, 1);
    }

    /** Gives back what {@code inputs} inputs holding {@code contentChars} characters together took: one atomic add. */
    void release(long contentChars, int inputs) {
        used.addAndGet(-(contentChars + inputs * PER_INPUT_CHARS));
    }

    /** Characters held now. */
    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }
}
