package io.meerkat.distribution.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The request body bytes buffered at once by all requests together ({@code meerkat.http.max-buffered-body-bytes}):
 * however many clients send bodies and pause, they hold at most this much heap; a request that would pass
 * it is refused instead ({@link ApiException#serverBusy}).
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
