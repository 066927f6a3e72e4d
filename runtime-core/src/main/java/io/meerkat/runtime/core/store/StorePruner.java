package io.meerkat.runtime.core.store;

import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.core.policy.DelayScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a store from growing without bound: every {@code every}, forgets the finished inputs (with their
 * outcomes and idempotency keys) beyond the newest {@code keepPerSession} of each session, and those that
 * finished more than {@code maxAge} ago. That retention is the window in which a resubmit after a restart
 * is deduplicated. Sessions that were stopped or destroyed more than {@code maxAge} ago go too, with every
 * row of theirs ({@link #alsoPruneEndedSessions}): the store would otherwise keep them, and every start take
 * them up, for ever. The prune runs on {@code blocking} (it is I/O), never on the timer's thread; a prune
 * that fails is logged and tried again at the next tick.
 */
public final class StorePruner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StorePruner.class);

    private final RuntimeStore store;
    private final int keepPerSession;
    private final Duration maxAge;
    private final Duration every;
    private final DelayScheduler delays;
    private final Executor blocking;
    /** Written under {@code this}; the next tick, cancelled by {@link #close}. */
    private Future<?> next;
    private boolean closed;
    /** Removes the sessions that ended before the instant given, and says how many; none until set. */
    private volatile ToIntFunction<Instant> endedSessions = endedBefore -> 0;

    public StorePruner(RuntimeStore store, int keepPerSession, Duration maxAge, Duration every, DelayScheduler delays,
                       Executor blocking) {
        this.store = store;
        this.keepPerSession = keepPerSession;
        this.maxAge = maxAge;
        this.every = every;
        this.delays = delays;
        this.blocking = blocking;
    }

    /** Also removes, at each prune, the sessions {@code endedSessions} finds ended more than {@code maxAge} ago. */
    public void alsoPruneEndedSessions(ToIntFunction<Instant> endedSessions) {
        this.endedSessions = endedSessions;
    }

    /** Schedules the first prune, {@code every} from now. */
    public synchronized void start() {
        if (closed) {
            return;
        }
        try {
            next = delays.schedule(this::tick, every.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("the timer refused the store's pruning: the runtime is closing", e);
        }
    }

    private void tick() {
        try {
            blocking.execute(this::prune);
        } catch (RejectedExecutionException e) {
            LOG.debug("no thread for the store's pruning: the runtime is closing", e);
        }
    }

    /** Prunes once, now, then schedules the next one. */
    void prune() {
        try {
            Instant before = Instant.now().minus(maxAge);
            int ended = endedSessions.applyAsInt(before);
            long forgotten = store.prune(new RetentionPolicy(keepPerSession, before));
            if (forgotten > 0 || ended > 0) {
                LOG.debug("pruned {} finished inputs and {} ended sessions from the store", forgotten, ended);
            }
        } catch (RuntimeException e) {
            LOG.warn("pruning the store failed; trying again in {}", every, e);
        } finally {
            start();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
    }
}
