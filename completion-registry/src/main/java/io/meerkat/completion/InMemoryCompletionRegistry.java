package io.meerkat.completion;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The default {@link CompletionRegistry}: holds, in memory, the futures that submitters wait on until
 * the runtime resolves their inputs.
 *
 * <p>Guarantees, on top of those of the SPI:
 * <ul>
 *   <li>Thread safe. Sessions do not contend with each other: each has its own waiter table with its
 *       own lock, and the map of sessions is a {@link ConcurrentHashMap}.</li>
 *   <li>Waiters are completed outside every lock of the registry, so their callbacks may call back into
 *       it. The registry completes a waiter with {@link CompletableFuture#complete}, at most once; a
 *       waiter its caller already completed or cancelled is simply skipped and does not disturb the
 *       others. The counts returned by the resolve methods are the waiters removed, including such
 *       already-done ones.</li>
 *   <li>A session's table stays, empty, after its last waiter is resolved (the common case is one
 *       in-flight input at a time, so dropping and re-creating it would cost an allocation per input);
 *       it is removed by {@link #resolveAllTerminated(SessionId, String)}, by {@link #forgetSession} when
 *       empty (the runtime calls it when the session is removed), and by the registry-wide operations.</li>
 *   <li>Lock order: a table's monitor is held only for map work, never while calling a
 *       {@code stillPending} predicate or completing a waiter, so either may take any lock (a session's).</li>
 *   <li>After {@link #close()}, {@link #register} completes the given waiter at once with
 *       {@code RuntimeTerminated("completion registry closed")}, so no waiter is left hanging.</li>
 * </ul>
 */
public final class InMemoryCompletionRegistry implements CompletionRegistry {

    /** The reason given to waiters dropped by {@link #close()} or registered after it. */
    public static final String CLOSED_REASON = "completion registry closed";

    private static final System.Logger LOG = System.getLogger(InMemoryCompletionRegistry.class.getName());

    private static final CompletionOutcome CLOSED = new CompletionOutcome.RuntimeTerminated(CLOSED_REASON);

    /** Lock-free map of per-session tables; each {@link Table} guards its own content. */
    private final ConcurrentHashMap<SessionId, Table> sessions = new ConcurrentHashMap<>();

    private volatile boolean closed;

    /** Creates an empty, open registry. */
    public InMemoryCompletionRegistry() {
    }

    @Override
    public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(inputId, "inputId");
        Objects.requireNonNull(waiter, "waiter");
        if (closed) {
            waiter.complete(CLOSED);
            return;
        }
        while (true) {
            Table table = sessions.get(sessionId);
            if (table == null) {
                table = sessions.computeIfAbsent(sessionId, id -> new Table());
            }
            if (table.add(inputId, waiter)) {
                break;
            }
            // The table was detached by a concurrent session-wide operation (or retired empty by
            // forgetSession, which removes it from the map right after): use a fresh one.
            sessions.remove(sessionId, table);
        }
        // Dekker-style handshake with close(): we add the waiter then read `closed`, close() writes
        // `closed` then sweeps every table; volatile/lock actions are totally ordered, so either the
        // sweep sees our waiter or we see `closed` and sweep ourselves — the waiter cannot be stranded.
        if (closed) {
            close();
        }
    }

    @Override
    public int resolve(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        Table table = sessions.get(Objects.requireNonNull(sessionId, "sessionId"));
        if (table == null) {
            return 0;
        }
        Object removed = table.remove(Objects.requireNonNull(inputId, "inputId"));
        if (removed == null) {
            return 0;
        }
        complete(removed, outcome);
        return count(removed);
    }

    @Override
    public int resolveEach(SessionId sessionId, Collection<InputId> inputIds, CompletionOutcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        Table table = sessions.get(Objects.requireNonNull(sessionId, "sessionId"));
        if (table == null) {
            return 0;
        }
        return completeRemoved(table.removeAll(inputIds), outcome);
    }

    @Override
    public int resolveAllTerminated(SessionId sessionId, String reason) {
        Objects.requireNonNull(sessionId, "sessionId");
        return terminate(detach(sessionId), terminated(reason));
    }

    @Override
    public int resolveAllTerminated(String reason) {
        return terminateAll(terminated(reason));
    }

    @Override
    public int resolveNotPending(SessionId sessionId, Predicate<InputId> stillPending, String reason) {
        Objects.requireNonNull(stillPending, "stillPending");
        CompletionOutcome outcome = terminated(reason);
        Table table = sessions.get(Objects.requireNonNull(sessionId, "sessionId"));
        if (table == null) {
            return 0;
        }
        List<InputId> candidates = table.inputIds();
        List<InputId> notPending = new ArrayList<>();
        // Tested on a copy, holding no lock of this registry: the predicate takes the session's driver lock.
        for (InputId inputId : candidates) {
            if (!stillPending.test(inputId)) {
                notPending.add(inputId);
            }
        }
        if (notPending.isEmpty()) {
            return 0;
        }
        return completeRemoved(table.removeAll(notPending), outcome);
    }

    /**
     * Drops the session's table if it holds no waiter (a removed session's table would stay otherwise);
     * waiters are never touched, so this is safe whenever it runs, even once the id is in use again.
     */
    @Override
    public void forgetSession(SessionId sessionId) {
        Table table = sessions.get(Objects.requireNonNull(sessionId, "sessionId"));
        if (table != null && table.retireIfEmpty()) {
            sessions.remove(sessionId, table);
        }
    }

    @Override
    public int pendingCount(SessionId sessionId) {
        Table table = sessions.get(Objects.requireNonNull(sessionId, "sessionId"));
        return table == null ? 0 : table.size();
    }

    @Override
    public int pendingCount() {
        int total = 0;
        for (Table table : sessions.values()) {
            total += table.size();
        }
        return total;
    }

    @Override
    public List<PendingCompletion> drainPending() {
        List<PendingCompletion> drained = new ArrayList<>();
        for (SessionId sessionId : sessions.keySet()) {
            Map<InputId, Object> waiters = detach(sessionId);
            if (waiters == null) {
                continue;
            }
            for (Map.Entry<InputId, Object> entry : waiters.entrySet()) {
                Object value = entry.getValue();
                if (value instanceof Waiters list) {
                    for (CompletableFuture<CompletionOutcome> waiter : list) {
                        drained.add(new PendingCompletion(sessionId, entry.getKey(), waiter));
                    }
                } else {
                    drained.add(new PendingCompletion(sessionId, entry.getKey(), single(value)));
                }
            }
        }
        return drained;
    }

    /**
     * Resolves every remaining waiter {@code RuntimeTerminated("completion registry closed")}; from now
     * on {@link #register} resolves its waiter the same way at once. Idempotent; never throws.
     */
    @Override
    public void close() {
        closed = true;
        try {
            terminateAll(CLOSED);
        } catch (RuntimeException e) {
            // A waiter whose own complete() threw; every other waiter has been resolved regardless.
            LOG.log(System.Logger.Level.WARNING, "a waiter failed while the registry was closing", e);
        }
    }

    /** Removes the table of one session from the map and retires it; returns its waiters, or null. */
    private Map<InputId, Object> detach(SessionId sessionId) {
        Table table = sessions.remove(sessionId);
        // A register() that fetched this table before the remove either added its waiter before
        // retire() (so it is returned here) or finds the table retired and retries on a fresh one.
        return table == null ? null : table.retire();
    }

    private int terminateAll(CompletionOutcome outcome) {
        int resolved = 0;
        RuntimeException failure = null;
        for (SessionId sessionId : sessions.keySet()) {
            try {
                resolved += terminate(detach(sessionId), outcome);
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        return resolved;
    }

    private static int terminate(Map<InputId, Object> waiters, CompletionOutcome outcome) {
        return waiters == null ? 0 : completeRemoved(waiters.values(), outcome);
    }

    /** Completes waiters already removed from their table; all are tried even if one throws. */
    private static int completeRemoved(Collection<Object> removed, CompletionOutcome outcome) {
        int resolved = 0;
        RuntimeException failure = null;
        for (Object value : removed) {
            resolved += count(value);
            try {
                complete(value, outcome);
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        return resolved;
    }

    private static CompletionOutcome terminated(String reason) {
        return new CompletionOutcome.RuntimeTerminated(Objects.requireNonNull(reason, "reason"));
    }

    /** Completes one table value (a single waiter or a {@link Waiters} list); all are tried even if one throws. */
    private static void complete(Object value, CompletionOutcome outcome) {
        if (value instanceof Waiters list) {
            RuntimeException failure = null;
            for (CompletableFuture<CompletionOutcome> waiter : list) {
                try {
                    waiter.complete(outcome);
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        } else {
            single(value).complete(outcome);
        }
    }

    private static int count(Object value) {
        return value instanceof Waiters list ? list.size() : 1;
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<CompletionOutcome> single(Object value) {
        return (CompletableFuture<CompletionOutcome>) value;
    }

    /** The waiters of one input when it has more than one. */
    private static final class Waiters extends ArrayList<CompletableFuture<CompletionOutcome>> {
        private static final long serialVersionUID = 1L;

        Waiters(CompletableFuture<CompletionOutcome> first, CompletableFuture<CompletionOutcome> second) {
            super(4);
            add(first);
            add(second);
        }
    }

    /**
     * The waiters of one session, guarded by the table's own monitor. A value is either a single
     * {@link CompletableFuture} or a {@link Waiters} list. Once retired (detached from the map) a table
     * is empty and refuses new waiters.
     */
    private static final class Table {
        // All three guarded by this table's monitor, which is held for map work only (see the class Javadoc).
        private HashMap<InputId, Object> waiters = new HashMap<>();
        private int size;
        private boolean retired;

        synchronized boolean add(InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
            if (retired) {
                return false;
            }
            Object existing = waiters.putIfAbsent(inputId, waiter);
            if (existing instanceof Waiters list) {
                list.add(waiter);
            } else if (existing != null) {
                waiters.put(inputId, new Waiters(single(existing), waiter));
            }
            size++;
            return true;
        }

        synchronized Object remove(InputId inputId) {
            Object removed = waiters.remove(inputId);
            if (removed != null) {
                size -= count(removed);
            }
            return removed;
        }

        synchronized List<Object> removeAll(Collection<InputId> inputIds) {
            List<Object> removed = new ArrayList<>(inputIds.size());
            // The ids were tested outside the lock, so some may have been resolved meanwhile: those are
            // absent now and skipped (a waiter is removed under the lock, hence resolved once). A waiter
            // that joined one of these inputs after the snapshot joined an input the runtime reports as
            // no longer pending, so nothing else would resolve it: terminating it is what this call is for.
            for (InputId inputId : inputIds) {
                Object value = waiters.remove(inputId);
                if (value != null) {
                    size -= count(value);
                    removed.add(value);
                }
            }
            return removed;
        }

        synchronized List<InputId> inputIds() {
            return new ArrayList<>(waiters.keySet());
        }

        synchronized int size() {
            return size;
        }

        /** Retires the table if it holds no waiter; the caller then removes it from the map. */
        synchronized boolean retireIfEmpty() {
            if (!waiters.isEmpty()) {
                return false;
            }
            retired = true;
            return true;
        }

        /** Marks the table retired and hands over its waiters; the caller has removed it from the map. */
        synchronized Map<InputId, Object> retire() {
            retired = true;
            size = 0;
            Map<InputId, Object> all = waiters;
            waiters = new HashMap<>(0);
            return all;
        }
    }
}
