package io.meerkat.runtime.core.ingress;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The lock-free way into a session: any number of submitters push records, one driver (holding its lock)
 * takes everything pushed so far in one step, oldest first. Nothing is allocated per record: the records
 * are the nodes ({@link InputRecord#inboxNext}).
 *
 * <p>A Treiber stack emptied whole: a push is one compare-and-set of {@link #newest}, which publishes the
 * record (everything its submitter wrote before, the link included, is seen by the taker); {@link #takeAll}
 * swaps the whole stack out in one atomic step and reverses it. Only one thread takes at a time (the driver
 * lock), so a record is taken once.
 */
public final class Inbox {

    private static final VarHandle NEWEST;

    static {
        try {
            NEWEST = MethodHandles.lookup().findVarHandle(Inbox.class, "newest", InputRecord.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The record pushed last, linked to the one pushed before it; {@code null} when empty. */
    private volatile InputRecord newest;

    /** Pushes a record built by this thread; lock-free, never blocks. */
    void push(InputRecord record) {
        InputRecord seen;
        do {
            seen = newest;
            record.inboxNext = seen;
        } while (!NEWEST.weakCompareAndSet(this, seen, record));
    }

    /** Whether nothing waits; one volatile read. */
    boolean isEmpty() {
        return newest == null;
    }

    /**
     * Takes every record pushed so far. Call holding the driver lock.
     *
     * @return the oldest record, linked through {@link InputRecord#inboxNext} to the newer ones; {@code null}
     *         when empty
     */
    InputRecord takeAll() {
        if (newest == null) {
            return null;
        }
        InputRecord newestFirst = (InputRecord) NEWEST.getAndSet(this, null);
        InputRecord oldestFirst = null;
        while (newestFirst != null) {
            InputRecord older = newestFirst.inboxNext;
            newestFirst.inboxNext = oldestFirst;
            oldestFirst = newestFirst;
            newestFirst = older;
        }
        return oldestFirst;
    }
}
