package io.meerkat.distribution.registry;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The completion registry the launcher's runtime uses: a stable front for whichever registry is active,
 * which {@link #swapTo} replaces while sessions run.
 *
 * <p>Guarantee: a swap moves every pending waiter from the old registry to the new one, unresolved;
 * none is lost and none is resolved twice. Every call but {@link #resolveNotPending} is served by exactly
 * one registry, the one active when it started: calls hold the read lock, a swap holds the write lock, so
 * no register or resolve can fall between the old registry's drain and the switch to the new one
 * ({@code resolveNotPending} runs unlocked and is repeated on the new registry when a swap overlapped it).
 *
 * <p>Waiter callbacks that run inside a resolve run under the read lock; they may call back into this
 * registry but must not trigger a swap on the same thread.
 *
 * <p>Lock order: read/write lock of this front, then the active registry's own locks, then a session's
 * lock (a waiter callback that submits). Never the reverse: the runtime calls no registry method while
 * holding a session lock, so a reader here never waits for a thread that waits for this lock (a queued
 * swap blocks new readers). {@code stillPending} predicates run outside the read lock
 * ({@link #resolveNotPending}).
 */
public final class SwappableCompletionRegistry implements CompletionRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SwappableCompletionRegistry.class);

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Lock read = lock.readLock();
    private final Lock write = lock.writeLock();
    /**
     * Written only under the write lock; read under the read lock by every registry call (so no call is
     * served by a registry a swap has drained), and without it by {@link #active()} and {@link #current()}.
     */
    private volatile Active active;
    /** Swaps attempted so far; guarded by {@link #lock} (written under write, read under read). */
    private long swaps;
    private final AtomicLong handedOver = new AtomicLong();

    /** The registry in use now and what the launcher shows about it. */
    private record Active(CompletionRegistry registry, ActiveRegistry description) {
    }

    /** Starts with {@code initial} active. */
    public SwappableCompletionRegistry(CompletionRegistry initial, ActiveRegistry description) {
        this.active = new Active(Objects.requireNonNull(initial, "initial"), Objects.requireNonNull(description, "description"));
    }

    /** What is active now. */
    public ActiveRegistry active() {
        return active.description();
    }

    /** How many waiters swaps have moved so far, in all. */
    public long handedOver() {
        return handedOver.get();
    }

    /** The registry in use now. */
    public CompletionRegistry current() {
        return active.registry();
    }

    /**
     * Makes {@code next} the active registry and moves every pending waiter of the old one to it.
     * The old registry is not closed: its owner (a bundle being stopped, say) does that.
     *
     * @return how many waiters were moved
     * @throws IllegalStateException if {@code next} refuses a waiter: the old registry then stays active
     *                               and holds every waiter again
     */
    public int swapTo(CompletionRegistry next, ActiveRegistry description) {
        Objects.requireNonNull(next, "next");
        Objects.requireNonNull(description, "description");
        write.lock();
        try {
            swaps++;
            Active old = active;
            if (old.registry() == next) {
                active = new Active(next, description);
                return 0;
            }
            List<PendingCompletion> pending = old.registry().drainPending();
            for (int i = 0; i < pending.size(); i++) {
                PendingCompletion waiter = pending.get(i);
                try {
                    next.register(waiter.sessionId(), waiter.inputId(), waiter.waiter());
                } catch (RuntimeException e) {
                    rollBack(old.registry(), next, pending, i, e);
                    throw new IllegalStateException("completion registry " + description.label()
                            + " refused a waiter; staying on " + old.description().label(), e);
                }
            }
            active = new Active(next, description);
            handedOver.addAndGet(pending.size());
            LOG.info("completion registry swapped: {} -> {}, {} pending waiter(s) handed over",
                    old.description().label(), description.label(), pending.size());
            return pending.size();
        } finally {
            write.unlock();
        }
    }

    /**
     * Undoes a swap that {@code next} refused at waiter {@code failedAt}: every waiter goes back to the
     * old registry, still open (its owner closes it only after the swap returns). A waiter stranded in
     * {@code next} (which would not give it back) is resolved terminated rather than left hanging.
     */
    private static void rollBack(CompletionRegistry old, CompletionRegistry next, List<PendingCompletion> pending,
                                 int failedAt, RuntimeException failure) {
        List<PendingCompletion> back = new ArrayList<>(pending.subList(failedAt, pending.size()));
        try {
            // `next` held nothing before this swap (the front registers only into the active registry).
            back.addAll(next.drainPending());
        } catch (RuntimeException drainFailure) {
            failure.addSuppressed(drainFailure);
            CompletionOutcome stranded = new CompletionOutcome.RuntimeTerminated(
                    "completion registry failed during a swap: " + failure.getMessage());
            for (PendingCompletion moved : pending.subList(0, failedAt)) {
                moved.waiter().complete(stranded);
            }
        }
        for (PendingCompletion waiter : back) {
            old.register(waiter.sessionId(), waiter.inputId(), waiter.waiter());
        }
    }

    @Override
    public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
        run(() -> active.registry().register(sessionId, inputId, waiter));
    }

    @Override
    public int resolve(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
        return call(() -> active.registry().resolve(sessionId, inputId, outcome));
    }

    @Override
    public int resolveEach(SessionId sessionId, Collection<InputId> inputIds, CompletionOutcome outcome) {
        return call(() -> active.registry().resolveEach(sessionId, inputIds, outcome));
    }

    @Override
    public int resolveAllTerminated(SessionId sessionId, String reason) {
        return call(() -> active.registry().resolveAllTerminated(sessionId, reason));
    }

    @Override
    public int resolveAllTerminated(String reason) {
        return call(() -> active.registry().resolveAllTerminated(reason));
    }

    /**
     * Runs outside the read lock, because {@code stillPending} takes a session's lock. A swap that overlapped
     * the call may have moved waiters to the next registry before they were tested (or back, after a refused
     * swap): the call is repeated on the registry active afterwards until no swap overlapped it. Repeating
     * is harmless: it only terminates waiters whose input is no longer pending.
     */
    @Override
    public int resolveNotPending(SessionId sessionId, Predicate<InputId> stillPending, String reason) {
        int resolved = 0;
        while (true) {
            long before;
            CompletionRegistry registry;
            read.lock();
            try {
                before = swaps;
                registry = active.registry();
            } finally {
                read.unlock();
            }
            // Holding no lock of this front: the predicate takes the session's driver lock.
            resolved += registry.resolveNotPending(sessionId, stillPending, reason);
            read.lock();
            try {
                if (swaps == before) {
                    return resolved;
                }
            } finally {
                read.unlock();
            }
        }
    }

    @Override
    public int pendingCount(SessionId sessionId) {
        return call(() -> active.registry().pendingCount(sessionId));
    }

    @Override
    public int pendingCount() {
        return call(() -> active.registry().pendingCount());
    }

    @Override
    public List<PendingCompletion> drainPending() {
        return call(() -> active.registry().drainPending());
    }

    @Override
    public Optional<CompletionOutcome> finishedOutcome(SessionId sessionId, InputId inputId) {
        return call(() -> active.registry().finishedOutcome(sessionId, inputId));
    }

    @Override
    public void forgetSession(SessionId sessionId) {
        run(() -> active.registry().forgetSession(sessionId));
    }

    @Override
    public long rememberedOutcomeBytes() {
        return call(() -> active.registry().rememberedOutcomeBytes());
    }

    /** Terminates every waiter of the active registry; the registries themselves belong to their owners. */
    @Override
    public void close() {
        resolveAllTerminated("completion registry closed");
    }

    private void run(Runnable action) {
        read.lock();
        try {
            action.run();
        } finally {
            read.unlock();
        }
    }

    private <T> T call(Supplier<T> action) {
        read.lock();
        try {
            return action.get();
        } finally {
            read.unlock();
        }
    }
}
