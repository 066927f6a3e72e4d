package io.meerkat.runtime.store;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link RuntimeStore} in the heap: durable only as long as the process, with the same rules as the
 * SQL stores (an input, receipt or outcome needs its session stored; an outcome needs its input; a
 * sequence and an input id belong to one input). A commit applies its batches to a copy of the sessions
 * it touches and publishes the copy only when every change was accepted, so readers, which never lock,
 * see a commit whole or not at all. A commit copies the sessions it touches: fine for tests and small
 * embedders, not meant for sessions with very many stored inputs.
 */
final class MemoryRuntimeStore implements RuntimeStore {

    private final ReentrantLock writeLock = new ReentrantLock();
    /** Immutable once published: replaced whole under {@link #writeLock}, read without a lock. */
    private volatile Map<SessionId, SessionData> sessions = Map.of();
    /** Which session each stored input belongs to; read and written under {@link #writeLock} only. */
    private final Map<InputId, SessionId> owners = new HashMap<>();
    private volatile boolean closed;

    @Override
    public void commit(List<StoreBatch> batches) {
        writeLock.lock();
        try {
            checkOpen();
            Working working = new Working(sessions);
            try {
                for (StoreBatch batch : batches) {
                    if (batch.fence() != null) {
                        throw new IllegalArgumentException("the memory store has one runtime: it takes no fenced batch");
                    }
                    for (StoreChange change : batch.changes()) {
                        working.apply(change);
                    }
                }
            } catch (RuntimeException refused) {
                working.undoOwners();
                throw StoreRules.commitFailed("memory", refused.getMessage(), refused);
            }
            sessions = working.publish();
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void load(StoreVisitor visitor) {
        checkOpen();
        Map<SessionId, SessionData> snapshot = sessions;
        new TreeMap<>(snapshot).forEach((id, data) -> {
            visitor.session(data.session);
            data.inputs.values().forEach(visitor::input);
        });
    }

    @Override
    public Optional<CompletionOutcome> outcome(SessionId sessionId, InputId inputId) {
        checkOpen();
        SessionData data = sessions.get(sessionId);
        return data == null ? Optional.empty() : Optional.ofNullable(data.outcomes.get(inputId));
    }

    @Override
    public Optional<RunBoundaryReceipt> receipt(SessionId sessionId, RunId runId) {
        checkOpen();
        SessionData data = sessions.get(sessionId);
        return data == null ? Optional.empty() : Optional.ofNullable(data.receipts.get(runId));
    }

    @Override
    public long prune(RetentionPolicy policy) {
        writeLock.lock();
        try {
            checkOpen();
            Map<SessionId, SessionData> next = new HashMap<>(sessions);
            long pruned = 0;
            for (Map.Entry<SessionId, SessionData> entry : next.entrySet()) {
                SessionData copy = entry.getValue().copy();
                int finishedSeen = 0;
                for (StoredInput input : List.copyOf(copy.inputs.descendingMap().values())) {
                    Instant finished = StoreRules.finishedAt(input);
                    if (finished == null) {
                        continue;
                    }
                    finishedSeen++;
                    if (finishedSeen > policy.keepPerSession() || finished.isBefore(policy.finishedBefore())) {
                        copy.remove(input);
                        owners.remove(input.inputId());
                        pruned++;
                    }
                }
                Set<RunId> staged = new HashSet<>();
                copy.inputs.values().forEach(input -> staged.add(input.stagedRun()));
                copy.receipts.keySet().retainAll(staged);
                entry.setValue(copy);
            }
            sessions = Map.copyOf(next);
            return pruned;
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public StoreInfo info() {
        checkOpen();
        Map<SessionId, SessionData> snapshot = sessions;
        Map<InputLifecycleState, Long> byState = new EnumMap<>(InputLifecycleState.class);
        snapshot.values().forEach(data -> data.inputs.values()
                .forEach(input -> byState.merge(input.status().state(), 1L, Long::sum)));
        return new StoreInfo("memory", "heap", 0, snapshot.size(), byState, -1);
    }

    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the memory store is closed");
        }
    }

    /** One commit's view: the published map with copies of the sessions it changed. */
    private final class Working {
        private final Map<SessionId, SessionData> next;
        private final Set<SessionId> copied = new HashSet<>();
        private final Map<InputId, SessionId> ownersBefore = new HashMap<>();

        Working(Map<SessionId, SessionData> published) {
            next = new HashMap<>(published);
        }

        void apply(StoreChange change) {
            if (change instanceof StoreChange.PutSession put) {
                SessionData data = writable(put.sessionId());
                if (data == null) {
                    next.put(put.sessionId(), new SessionData(put.session()));
                    copied.add(put.sessionId());
                } else {
                    data.session = put.session();
                }
            } else if (change instanceof StoreChange.RemoveSession remove) {
                SessionData data = next.remove(remove.sessionId());
                if (data != null) {
                    data.inputs.values().forEach(input -> setOwner(input.inputId(), null));
                }
            } else if (change instanceof StoreChange.PutInput put) {
                StoredInput input = put.input();
                SessionData data = existing(input.sessionId(), "input " + input.inputId());
                SessionId owner = owners.get(input.inputId());
                if (owner != null && !owner.equals(input.sessionId())) {
                    throw new IllegalStateException("input " + input.inputId() + " is stored under session " + owner
                            + ", not " + input.sessionId());
                }
                StoredInput atSequence = data.inputs.get(input.sequence());
                if (atSequence != null && !atSequence.inputId().equals(input.inputId())) {
                    throw new IllegalStateException("sequence " + input.sequence() + " of session " + input.sessionId()
                            + " already belongs to input " + atSequence.inputId());
                }
                data.put(input);
                setOwner(input.inputId(), input.sessionId());
            } else if (change instanceof StoreChange.PutReceipt put) {
                existing(put.sessionId(), "receipt of run " + put.receipt().runId()).receipts.put(put.receipt().runId(), put.receipt());
            } else if (change instanceof StoreChange.PutOutcome put) {
                SessionData data = existing(put.sessionId(), "outcome of input " + put.inputId());
                if (!data.sequences.containsKey(put.inputId())) {
                    throw new IllegalStateException("outcome of input " + put.inputId() + ", which is not stored in session "
                            + put.sessionId());
                }
                data.outcomes.put(put.inputId(), put.outcome());
            } else if (change instanceof StoreChange.NewLease lease) {
                throw new IllegalArgumentException("the memory store has one runtime: it keeps no lease (session "
                        + lease.sessionId() + ")");
            } else {
                throw new IllegalArgumentException("unknown change " + change.getClass().getName());
            }
        }

        Map<SessionId, SessionData> publish() {
            return Map.copyOf(next);
        }

        void undoOwners() {
            ownersBefore.forEach((inputId, owner) -> {
                if (owner == null) {
                    owners.remove(inputId);
                } else {
                    owners.put(inputId, owner);
                }
            });
        }

        private void setOwner(InputId inputId, SessionId owner) {
            SessionId before = owner == null ? owners.remove(inputId) : owners.put(inputId, owner);
            // The first owner seen is what an undo restores; putIfAbsent would not do: it replaces a null.
            if (!ownersBefore.containsKey(inputId)) {
                ownersBefore.put(inputId, before);
            }
        }

        private SessionData existing(SessionId sessionId, String what) {
            SessionData data = writable(sessionId);
            if (data == null) {
                throw new IllegalStateException(what + " names session " + sessionId + ", which is not stored");
            }
            return data;
        }

        private SessionData writable(SessionId sessionId) {
            SessionData data = next.get(sessionId);
            if (data != null && copied.add(sessionId)) {
                data = data.copy();
                next.put(sessionId, data);
            }
            return data;
        }
    }

    /** What is stored of one session; mutated only while a commit owns the copy, never once published. */
    private static final class SessionData {
        StoredSession session;
        final TreeMap<Long, StoredInput> inputs;
        final Map<InputId, Long> sequences;
        final Map<RunId, RunBoundaryReceipt> receipts;
        final Map<InputId, CompletionOutcome> outcomes;

        SessionData(StoredSession session) {
            this(session, new TreeMap<>(), new HashMap<>(), new HashMap<>(), new HashMap<>());
        }

        private SessionData(StoredSession session, TreeMap<Long, StoredInput> inputs,
                            Map<InputId, Long> sequences, Map<RunId, RunBoundaryReceipt> receipts,
                            Map<InputId, CompletionOutcome> outcomes) {
            this.session = session;
            this.inputs = inputs;
            this.sequences = sequences;
            this.receipts = receipts;
            this.outcomes = outcomes;
        }

        SessionData copy() {
            return new SessionData(session, new TreeMap<>(inputs), new HashMap<>(sequences),
                    new HashMap<>(receipts), new HashMap<>(outcomes));
        }

        void put(StoredInput input) {
            Long previous = sequences.put(input.inputId(), input.sequence());
            if (previous != null && previous != input.sequence()) {
                inputs.remove(previous);
            }
            inputs.put(input.sequence(), input);
        }

        void remove(StoredInput input) {
            inputs.remove(input.sequence());
            sequences.remove(input.inputId());
            outcomes.remove(input.inputId());
        }
    }
}
