package io.meerkat.distribution.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes held at once for many clients together, so that however many of them pause they hold at most this
 * much heap. One budget bounds the request bodies buffered ({@code meerkat.http.max-buffered-body-bytes}:
 * a request that would pass it is refused, {@link ApiException#serverBusy}); another the events waiting
 * for event-stream clients ({@code meerkat.http.max-buffered-event-bytes}: a stream drops an event that
 * would pass it).
 */
final class BodyBudget {

    private final long max;
    private final AtomicLong used = new AtomicLong();

    BodyBudget(long max) {
        this.max = max;
    }

    /** Takes {@code bytes} of the budget if they fit; {@code false} (and nothing taken) if not. */
    boolean tryReserve(long bytes) {
        long now;
        do {
            now = used.get();
            if (now + bytes > max) {
                return false;
            }
        } while (!used.compareAndSet(now, now + bytes));
        return true;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** The bytes taken now. */
    long used() {
        return used.get();
    }

    long max() {
        return max;
    }
}
