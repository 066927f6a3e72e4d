package io.meerkat.runtime.core.testing;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A registry front built like the launcher's swappable one, at its most hostile: every call, predicates
 * and waiter completions included, runs under a read lock, and {@link #swapTo} takes the write lock (a
 * queued writer then blocks new readers). The runtime must never wait for this lock while holding one
 * of its own, or a swap closes a cycle.
 */
public final class SwappingFront implements CompletionRegistry {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile CompletionRegistry active;

    public SwappingFront(CompletionRegistry initial) {
        this.active = initial;
    }

    /** Moves every pending waiter to {@code next} and makes it active, under the write lock. */
    public int swapTo(CompletionRegistry next) {
        lock.writeLock().lock();
        try {
            List<PendingCompletion> pending = active.drainPending();
            for (PendingCompletion waiter : pending) {
                next.register(waiter.sessionId(), waiter.inputId(), waiter.waiter());
            }
            active = next;
            return pending.size();
        } finally {
            lock.writeLock().unlock();
        }
    }

    public CompletionRegistry current() {
        return active;
    }

    private <T> T read(Supplier<T> call) {
        lock.readLock().lock();
        try {
            return call.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
        read(() -> {
            active.register(sessionId, inputId, waiter);
            return null;
        });
    }

    @Override
    public int resolve(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
        return read(() -> active.resolve(sessionId, inputId, outcome));
    }

    @Override
    public int resolveEach(SessionId sessionId, Collection<InputId> inputIds, CompletionOutcome outcome) {
        return read(() -> active.resolveEach(sessionId, inputIds, outcome));
    }

    @Override
    public int resolveAllTerminated(SessionId sessionId, String reason) {
        return read(() -> active.resolveAllTerminated(sessionId, reason));
    }

    @Override
    public int resolveAllTerminated(String reason) {
        return read(() -> active.resolveAllTerminated(reason));
    }

    @Override
    public int resolveNotPending(SessionId sessionId, Predicate<InputId> stillPending, String reason) {
        return read(() -> active.resolveNotPending(sessionId, stillPending, reason));
    }

    @Override
    public int pendingCount(SessionId sessionId) {
        return read(() -> active.pendingCount(sessionId));
    }

    @Override
    public int pendingCount() {
        return read(() -> active.pendingCount());
    }

    @Override
    public List<PendingCompletion> drainPending() {
        return read(() -> active.drainPending());
    }

    @Override
    public Optional<CompletionOutcome> finishedOutcome(SessionId sessionId, InputId inputId) {
        return read(() -> active.finishedOutcome(sessionId, inputId));
    }

    @Override
    public void forgetSession(SessionId sessionId) {
        read(() -> {
            active.forgetSession(sessionId);
            return null;
        });
    }

    @Override
    public void close() {
        resolveAllTerminated("completion registry closed");
    }
}
