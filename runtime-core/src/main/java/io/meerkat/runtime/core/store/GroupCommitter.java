package io.meerkat.runtime.core.store;

import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.StoreBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches to a {@link RuntimeStore} with group commit: each caller hands over its batch and
 * waits; one writer thread drains whatever is waiting (up to {@code maxGroup} batches) into one
 * {@link RuntimeStore#commit} call, so durability costs one transaction and one fsync per group, not per
 * batch. When a group fails, its batches are committed one by one, so one bad batch fails alone and the
 * others are written; once two in a row fail alone too, the store itself is failing, and the rest of the
 * group fails at once with that failure rather than one store timeout after another.
 *
 * <p>When the store is shared by several nodes and refuses a group because this node lost some of its
 * sessions ({@link OwnershipLostException}), those sessions' batches fail with it, the listener set by
 * {@link #onOwnershipLost} hears of the sessions (with the fences their refused batches carried), and the rest of the group is committed without them: one
 * session lost is not the store failing.
 *
 * <p>Batches are committed in the order they were handed over. Thread safe.
 */
public final class GroupCommitter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

    private final RuntimeStore store;
    private final int maxGroup;
    private final LinkedBlockingQueue<Pending> waiting = new LinkedBlockingQueue<>();
    private final Thread writer;
    /** How long {@link #close} waits for the writer to commit what is waiting and end. */
    private final Duration closeTimeout;
    /** Hears which sessions a refused commit said this node lost; called on the writer thread. */
    private volatile Consumer<Map<SessionId, Fence>> ownershipLost = lost -> { };
    /** Written under {@code this}; read by {@link #submit} under it too, so no batch joins after the last drain. */
    private boolean closed;

    /** A batch and the caller waiting for it; {@code POISON} (no batch) tells the writer to end. */
    private record Pending(StoreBatch batch, CompletableFuture<Void> committed) {
    }

    private static final Pending POISON = new Pending(null, null);

    /**
     * @param maxGroup the most batches one commit takes
     * @param threads  makes the writer thread
     */
    public GroupCommitter(RuntimeStore store, int maxGroup, ThreadFactory threads) {
        this(store, maxGroup, threads, DEFAULT_CLOSE_TIMEOUT);
    }

    /** The time {@link #close} waits for a store by default. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * @param maxGroup     the most batches one commit takes
     * @param threads      makes the writer thread
     * @param closeTimeout how long {@link #close} waits for the writer (a store that hangs must not hang it)
     */
    public GroupCommitter(RuntimeStore store, int maxGroup, ThreadFactory threads, Duration closeTimeout) {
        if (maxGroup < 1) {
            throw new IllegalArgumentException("maxGroup must be positive, was " + maxGroup);
        }
        this.store = store;
        this.maxGroup = maxGroup;
        this.closeTimeout = closeTimeout;
        this.writer = threads.newThread(this::writeUntilClosed);
        writer.start();
    }

    /**
     * Tells {@code listener} the sessions of every commit refused with {@link OwnershipLostException}, each with
     * the fence its refused batch carried (the lease that was lost: the node may hold the session again by
     * now, at a newer epoch). It runs on the writer thread, so it must hand the work on rather than do it (a
     * stop waits for commits).
     */
    public void onOwnershipLost(Consumer<Map<SessionId, Fence>> listener) {
        ownershipLost = listener;
    }

    /**
     * Hands {@code batch} to the writer.
     *
     * @return completes once the batch is committed, or exceptionally with {@link StoreUnavailableException}
     *         if it was not (nothing of it was written)
     */
    public CompletableFuture<Void> submit(StoreBatch batch) {
        CompletableFuture<Void> committed = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                committed.completeExceptionally(new StoreUnavailableException("the store is closed", null));
                return committed;
            }
            waiting.add(new Pending(batch, committed));
        }
        return committed;
    }

    /**
     * Commits {@code batch}, waiting for the group it joins.
     *
     * @throws StoreUnavailableException if it was not committed (nothing of it was written)
     */
    public void write(StoreBatch batch) {
        await(submit(batch));
    }

    /**
     * Waits for a batch {@link #submit submitted} earlier to be committed (a caller may submit under a lock,
     * which fixes its place in the commit order, and wait after releasing it).
     *
     * @throws StoreUnavailableException if it was not committed (nothing of it was written)
     */
    public static void await(CompletableFuture<Void> committed) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    committed.get();
                    return;
                } catch (InterruptedException e) {
                    // The write goes on regardless: wait for its outcome, then restore the flag.
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw asUnavailable(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Commits what is waiting, then stops the writer; later batches fail at once. Waits at most the close
     * timeout: a store that does not answer by then is left to its writer thread (logged), and the batches
     * still waiting behind the commit under way fail, unwritten, so that nobody waits for them for ever.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            waiting.add(POISON);
        }
        boolean interrupted = false;
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        long left;
        while (writer.isAlive() && (left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedJoin(writer, left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (writer.isAlive()) {
            List<Pending> abandoned = new ArrayList<>();
            // Taken from the writer's queue: each batch is either committed by the writer or failed here, never both.
            waiting.drainTo(abandoned);
            abandoned.remove(POISON);
            // Still ends the writer, should the hung commit ever return.
            waiting.add(POISON);
            StoreUnavailableException hung = new StoreUnavailableException(
                    "the store did not answer within " + closeTimeout + " of closing", null);
            abandoned.forEach(pending -> fail(pending, hung));
            LOG.warn("the store's writer did not finish within {} of closing (a commit hangs); {} waiting batches"
                    + " failed unwritten, the commit under way is left to it", closeTimeout, abandoned.size());
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeUntilClosed() {
        List<Pending> group = new ArrayList<>(maxGroup);
        while (true) {
            group.clear();
            try {
                group.add(waiting.take());
            } catch (InterruptedException e) {
                // Only close() ends the writer (with POISON): a stray interrupt is not a reason to drop batches.
                continue;
            }
            waiting.drainTo(group, maxGroup - 1);
            boolean last = group.remove(POISON);
            // POISON is added last, under the lock that refuses later batches: nothing follows it.
            if (!group.isEmpty()) {
                commit(group);
            }
            if (last) {
                return;
            }
        }
    }

    private void commit(List<Pending> group) {
        List<StoreBatch> batches = new ArrayList<>(group.size());
        for (Pending pending : group) {
            batches.add(pending.batch());
        }
        try {
            store.commit(batches);
        } catch (OwnershipLostException lost) {
            List<Pending> rest = failLost(group, lost);
            if (!rest.isEmpty()) {
                commit(rest);
            }
            return;
        } catch (RuntimeException | Error e) {
            if (group.size() == 1) {
                fail(group.get(0), e);
                return;
            }
            LOG.debug("a group of {} batches failed; committing them one by one", group.size(), e);
            Throwable lastFailure = null;
            int failuresInARow = 0;
            for (Pending pending : group) {
                if (failuresInARow >= 2) {
                    // Two batches in a row failed alone too: the store is failing, not a batch. Trying each of the
                    // rest would cost one store timeout apiece (a locked file waits its busy timeout per commit).
                    fail(pending, lastFailure);
                    continue;
                }
                try {
                    store.commit(List.of(pending.batch()));
                } catch (OwnershipLostException lost) {
                    // Not the store failing: another node owns the session now.
                    failLost(List.of(pending), lost);
                    continue;
                } catch (RuntimeException | Error alone) {
                    fail(pending, alone);
                    lastFailure = alone;
                    failuresInARow++;
                    continue;
                }
                failuresInARow = 0;
                pending.committed().complete(null);
            }
            return;
        }
        for (Pending pending : group) {
            pending.committed().complete(null);
        }
    }

    /**
     * Fails the batches of the sessions {@code lost} names and tells the listener.
     *
     * @return the rest of {@code group}, to commit again; empty if the refusal named none of the group's
     *         sessions (then every batch of it failed, so that nothing is tried for ever)
     */
    private List<Pending> failLost(List<Pending> group, OwnershipLostException lost) {
        List<Pending> rest = new ArrayList<>(group.size());
        Map<SessionId, Fence> fences = new HashMap<>();
        for (Pending pending : group) {
            StoreBatch batch = pending.batch();
            if (batch.fence() != null && lost.sessions().contains(batch.fencedSession())) {
                fences.put(batch.fencedSession(), batch.fence());
                fail(pending, lost);
            } else {
                rest.add(pending);
            }
        }
        if (rest.size() == group.size()) {
            rest.forEach(pending -> fail(pending, lost));
            rest.clear();
        }
        try {
            ownershipLost.accept(fences);
        } catch (RuntimeException e) {
            LOG.warn("the listener of lost sessions failed", e);
        }
        return rest;
    }

    private static void fail(Pending pending, Throwable failure) {
        pending.committed().completeExceptionally(asUnavailable(failure));
    }

    private static StoreUnavailableException asUnavailable(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof StoreUnavailableException unavailable ? unavailable
                : new StoreUnavailableException("the store failed a write: " + cause, cause);
    }
}
