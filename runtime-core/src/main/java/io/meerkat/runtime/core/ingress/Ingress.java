package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputRejectedException;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.QueueFullException;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.core.ingress.PolicyDecision.ApplyMode;
import io.meerkat.runtime.core.ingress.PolicyDecision.ConsumePoint;
import io.meerkat.runtime.core.ingress.PolicyDecision.QueueMode;
import io.meerkat.runtime.core.ingress.PolicyDecision.WakeMode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A session's input ledger and its two lanes: admission (dedup, policy, supersession, coalescing,
 * priority), batching, staging, commit and rollback. The session driver owns it and calls it under its
 * lock, but for {@link #offer} and {@link #withdraw}: the lock-free way in, through the {@link Inbox}.
 *
 * <h2>The lock-free way in</h2>
 * An input that only waits its turn (FIFO on its lane, replacing nothing) is admitted by its submitter
 * without the driver lock: {@link #offer} claims its id and idempotency key in the ledger and its share of
 * the bounds, all with atomic operations, and pushes the record onto the inbox; the driver, holding its
 * lock, takes the inbox ({@link #takeInbox}) before anything else it does, and puts the records on their
 * lanes in the order they were pushed. So the ledger and the key index are concurrent maps, the counts
 * behind the bounds are atomic, and everything else (lanes, numbers, retention) is the driver's alone.
 * A record in the inbox is claimed but not placed: lookups do not see it ({@link #find}), and until it is
 * taken it may still be withdrawn by its submitter or refused by the driver (see {@link InputRecord}).
 *
 * <p>Invariants: a record is on at most one lane, and only while QUEUED; {@link #activeCount()}
 * counts the non-terminal records; terminal records are kept for lookups up to a retention bound,
 * oldest evicted first, and their idempotency keys go with them.
 *
 * <p>Bounds: at most {@code maxQueuedInputs} non-terminal records, holding at most
 * {@code maxQueuedChars} characters of content, taken from the runtime-wide {@link QueuedPayloadBudget};
 * an input past any of them is refused ({@link QueueFullException}) and changes nothing. A terminal
 * record gives its content back (to the bounds and to the garbage collector); the terminal records
 * retained keep at most {@code maxQueuedChars} characters of idempotency keys, oldest evicted first.
 */
public final class Ingress {

    private final int finishedRetention;
    private final int maxQueuedInputs;
    private final long maxQueuedChars;
    private final QueuedPayloadBudget runtimeBudget;
    private static final VarHandle ACTIVE_COUNT;
    private static final VarHandle ACTIVE_CHARS;
    private static final VarHandle KEYS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ACTIVE_COUNT = lookup.findVarHandle(Ingress.class, "activeCount", int.class);
            ACTIVE_CHARS = lookup.findVarHandle(Ingress.class, "activeChars", long.class);
            KEYS = lookup.findVarHandle(Ingress.class, "byIdempotencyKey", ConcurrentHashMap.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Every retained record by id, and the records claimed in the inbox: written by the driver and, with
     * {@code putIfAbsent} only, by lock-free submitters (which is what makes an id admitted once).
     */
    private final ConcurrentHashMap<InputId, InputRecord> ledger = new ConcurrentHashMap<>();
    /*
     * The deques start with room for nothing and grow by doubling when used: an idle session holds several of
     * them, and a session's heap is what limits how many idle sessions a runtime holds.
     */
    private final ArrayDeque<InputRecord> finished = new ArrayDeque<>(0);
    /** As {@link #ledger}, by idempotency key; made with the first key ({@link #keys()}): many sessions never see one. */
    private volatile ConcurrentHashMap<String, InputRecord> byIdempotencyKey;
    private final Inbox inbox = new Inbox();
    /** The order records were taken in ({@link InputRecord#admission()}); guarded by the driver lock. */
    private long admissions;
    /**
     * The unfinished records of each replace scope (at most a staged batch's worth plus the one queued
     * after them), so that a new input of the scope replaces every one of them still QUEUED: a record
     * a failed run put back beside a newer one included.
     */
    private final Map<ReplaceKey, List<InputRecord>> unfinishedByScope = new HashMap<>(0);
    /**
     * Records {@link #reserve reserved} and not yet on their lanes, in the order they were reserved (their
     * numbers' order): each goes on its lane once its write is committed and every record before it is placed
     * or gone, so that the lanes stay in number order whatever order the commits return in.
     */
    private final ArrayDeque<InputRecord> reserved = new ArrayDeque<>(0);
    private final ArrayDeque<InputRecord> queueLane = new ArrayDeque<>(0);
    private final ArrayDeque<InputRecord> steerLane = new ArrayDeque<>(0);
    /**
     * The numbers handed to records put at the front and at the back of a lane, so that a lane sorted by
     * {@link InputRecord#sequence()} is the lane (what a store keeps, to rebuild the lanes on recovery).
     */
    private long frontSequence;
    private long backSequence;
    /**
     * The non-terminal records, those claimed in the inbox included, and the content they hold: changed
     * atomically ({@link #ACTIVE_COUNT}, {@link #ACTIVE_CHARS}), by lock-free submitters and the driver alike.
     */
    private volatile int activeCount;
    private volatile long activeChars;
    private long finishedKeyChars;

    /** An ingress bounded only by its retention (for tests). */
    public Ingress(int finishedRetention) {
        this(finishedRetention, Integer.MAX_VALUE, Long.MAX_VALUE, QueuedPayloadBudget.unbounded());
    }

    /**
     * @param finishedRetention how many terminal inputs to keep for lookups and dedup
     * @param maxQueuedInputs   the most non-terminal inputs held at once
     * @param maxQueuedChars    the most content, in characters, the non-terminal inputs hold together
     * @param runtimeBudget     the content budget shared with the runtime's other sessions
     */
    public Ingress(int finishedRetention, int maxQueuedInputs, long maxQueuedChars, QueuedPayloadBudget runtimeBudget) {
        this.finishedRetention = finishedRetention;
        this.maxQueuedInputs = maxQueuedInputs;
        this.maxQueuedChars = maxQueuedChars;
        this.runtimeBudget = runtimeBudget;
    }

    /**
     * Admits a validated input: dedup by idempotency key, then policy, then placement on a lane;
     * {@link #prepare} then {@link #place} in one step.
     *
     * @param runtimeIdle whether no run is in flight (drives the wake policy)
     * @throws QueueFullException if holding the input would pass a bound (a duplicate never does: it
     *                            stores nothing)
     */
    public Admission admit(Input input, boolean runtimeIdle, long nowMillis) {
        while (true) {
            Admission admission = prepare(input, runtimeIdle, nowMillis);
            if (!(admission instanceof Admission.Prepared prepared)) {
                return admission;
            }
            Admission.Accepted accepted = place(prepared);
            if (accepted != null) {
                return accepted;
            }
            // A lock-free admission claimed the id or key meanwhile: this input is its duplicate now.
            release(prepared);
        }
    }

    /**
     * The first half of {@link #admit}: dedup, the bounds, the policy, and the new record in the state and
     * place it will have, without touching the ingress but for the runtime's budget, reserved for it. The
     * caller may then write it down, and must then {@link #place} it or {@link #release} it, holding the
     * driver lock throughout (what it prepared is only valid until the ingress next changes).
     *
     * @return {@link Admission.Deduplicated}, or {@link Admission.Prepared}
     * @throws QueueFullException if holding the input would pass a bound
     */
    public Admission prepare(Input input, boolean runtimeIdle, long nowMillis) {
        String key = input.header().idempotencyKey();
        if (key != null) {
            InputRecord existing = keys().get(key);
            if (existing != null) {
                return new Admission.Deduplicated(existing);
            }
        }
        if (ledger.containsKey(input.header().id())) {
            throw alreadySubmitted(input);
        }
        long size = InputValidator.payloadSize(input);
        reserveSlot(size);
        // From here nothing throws: the reservation is the record's, given back by release() or, once it
        // is placed, when it turns terminal.
        PolicyDecision policy = DefaultPolicyTable.resolve(input, runtimeIdle);
        InputRecord record = new InputRecord(input, policy, size, nowMillis);
        if (policy.applyMode() == ApplyMode.IGNORE && policy.consumePoint() == ConsumePoint.ON_ACCEPT) {
            record.moveTo(InputLifecycleState.CONSUMED, nowMillis, "consumed on accept");
            // On no lane, but numbered all the same: a store keeps one input per number in a session.
            record.sequence(backSequence + 1);
            return new Admission.Prepared(record, List.of(), false, nowMillis);
        }
        List<InputRecord> displaced = new ArrayList<>(0);
        ReplaceKey replaceKey = ReplaceKey.of(record);
        List<InputRecord> scope = replaceKey == null ? null : unfinishedByScope.get(replaceKey);
        if (scope != null) {
            for (InputRecord twin : scope) {
                if (twin.state() == InputLifecycleState.QUEUED) {
                    InputRecord replaced = twin.preview();
                    replaced.replacedBy(InputLifecycleState.COALESCED, record.id(), nowMillis);
                    displaced.add(replaced);
                }
            }
        }
        record.moveTo(InputLifecycleState.QUEUED, nowMillis, null);
        // The place putFirst or putLast will give it, nothing changing in between.
        record.sequence(policy.queueMode() == QueueMode.PRIORITY ? frontSequence - 1 : backSequence + 1);
        return new Admission.Prepared(record, displaced, policy.wakeMode() == WakeMode.WAKE_IF_IDLE, nowMillis);
    }

    /**
     * The second half of {@link #admit}: puts a prepared record in the ledger and on its lane, and
     * coalesces the twins it replaces (those {@link Admission.Prepared#displaced()} showed).
     *
     * @return {@code null} if a lock-free admission claimed the input's id or key since it was prepared
     *         (release it and admit it again: it is a duplicate now)
     */
    public Admission.Accepted place(Admission.Prepared prepared) {
        InputRecord record = prepared.record();
        if (!claim(record)) {
            return null;
        }
        enter(record);
        if (record.state() == InputLifecycleState.CONSUMED) {
            backSequence = Math.max(backSequence, record.sequence());
            onTerminal(record);
            return new Admission.Accepted(record, List.of(), false);
        }
        List<InputRecord> displaced = displaceQueuedTwins(record, prepared.nowMillis());
        if (record.policy().queueMode() == QueueMode.PRIORITY) {
            putFirst(record);
        } else {
            putLast(record);
        }
        return new Admission.Accepted(record, displaced, prepared.wake());
    }

    /** Gives back what {@link #prepare} reserved for an input that will not be placed (its write failed). */
    public void release(Admission.Prepared prepared) {
        releaseSlot(prepared.record().payloadChars());
    }

    /**
     * Admits an input without the driver lock, if it only waits its turn (FIFO on its lane, replacing
     * nothing): claims its id, idempotency key and share of the bounds, and pushes it onto the inbox, where
     * the driver takes it from. Any thread may call it at any time; the driver must take the inbox before
     * anything else it does under its lock, and must refuse what it takes once the session no longer accepts
     * input (see {@link #takeInbox}).
     *
     * <p>The record's policy is the one for an idle session: its wake mode says whether the input wakes an idle
     * loop. Whether the loop is idle is the caller's to read after the push (a run in flight before it may end,
     * and its loop go idle, before the push).
     *
     * @param awaited whether a waiter of the input is on its way to the registry: the record is marked so
     *                ({@link InputRecord#markAwaited()}) before it is pushed, so its settler sees the mark
     * @return the record pushed, or {@code null} when the input must be admitted under the lock: it is not
     *         FIFO, or its id or key is known (a duplicate, answered there)
     * @throws QueueFullException if holding the input would pass a bound
     */
    public InputRecord offer(Input input, long nowMillis, boolean awaited) {
        PolicyDecision policy = DefaultPolicyTable.resolve(input, true);
        if (policy.queueMode() != QueueMode.FIFO || policy.consumePoint() == ConsumePoint.ON_ACCEPT) {
            return null;
        }
        String key = input.header().idempotencyKey();
        if (key != null && keys().containsKey(key)) {
            // A duplicate (most likely): answered under the lock. A known id is found by the claim below.
            return null;
        }
        long size = InputValidator.payloadSize(input);
        reserveSlot(size);
        InputRecord record = new InputRecord(input, policy, size, nowMillis);
        record.moveTo(InputLifecycleState.QUEUED, nowMillis, null);
        record.enterInbox();
        if (!claim(record)) {
            releaseSlot(size);
            return null;
        }
        if (awaited) {
            record.markAwaited();
        }
        inbox.push(record);
        return record;
    }

    /**
     * Takes back a record {@link #offer} pushed, unless the driver took it first; lock-free. Call when the
     * session turned out to refuse input after the push.
     *
     * @return {@code true} if the record is out (withdrawn now, or refused by the driver): admit the input
     *         again under the lock; {@code false} if the driver placed it: it was accepted
     */
    public boolean withdraw(InputRecord record) {
        if (record.leaveInbox(InputRecord.WITHDRAWN)) {
            forget(record);
            return true;
        }
        return record.inboxState() == InputRecord.REFUSED;
    }

    /**
     * Whether {@link #offer}'s record was refused by the driver ({@code accepting} was false when it took it),
     * so that its submitter must admit the input again under the lock. Read after the session was seen to
     * accept input (any refusal before is then visible).
     */
    public static boolean refused(InputRecord record) {
        return record.inboxState() == InputRecord.REFUSED;
    }

    /**
     * Takes every record pushed onto the inbox so far, oldest first: each goes to the back of its lane if
     * {@code accepting} (the session accepts input, or just stopped accepting it: a record pushed before that
     * was accepted), else is refused and forgotten. A record its submitter withdrew is skipped. Call holding
     * the driver lock, before anything else that reads or changes the ingress.
     *
     * @return the records placed, oldest first (empty when none)
     */
    public List<InputRecord> takeInbox(boolean accepting) {
        InputRecord next = inbox.takeAll();
        if (next == null) {
            return List.of();
        }
        List<InputRecord> placed = new ArrayList<>();
        while (next != null) {
            InputRecord record = next;
            next = record.inboxNext;
            record.inboxNext = null;
            if (!accepting) {
                if (record.leaveInbox(InputRecord.REFUSED)) {
                    forget(record);
                }
            } else if (record.leaveInbox(InputRecord.OUT_OF_INBOX)) {
                enter(record);
                putLast(record);
                placed.add(record);
            }
        }
        return placed;
    }

    /** Whether the inbox may hold records; one volatile read. */
    public boolean inboxEmpty() {
        return inbox.isEmpty();
    }

    /**
     * Claims the record's id and key in the ledger, atomically against lock-free admissions.
     *
     * @return {@code false} if either was claimed already (nothing is claimed then)
     */
    private boolean claim(InputRecord record) {
        if (ledger.putIfAbsent(record.id(), record) != null) {
            return false;
        }
        String key = record.idempotencyKey();
        if (key != null && keys().putIfAbsent(key, record) != null) {
            ledger.remove(record.id(), record);
            return false;
        }
        return true;
    }

    /** Gives back everything a record that was never placed claimed: its id, key and share of the bounds. */
    private void forget(InputRecord record) {
        ledger.remove(record.id(), record);
        if (record.idempotencyKey() != null) {
            keys().remove(record.idempotencyKey(), record);
        }
        releaseSlot(record.payloadChars());
    }

    /** The key index, made the first time a key is looked up or claimed, by whichever thread gets there first. */
    private ConcurrentHashMap<String, InputRecord> keys() {
        ConcurrentHashMap<String, InputRecord> keys = byIdempotencyKey;
        if (keys == null && !KEYS.compareAndSet(this, null, keys = new ConcurrentHashMap<>())) {
            keys = byIdempotencyKey;
        }
        return keys;
    }

    /** Numbers a record the ingress takes in, in the order it takes them (see {@link #activeRecords}). */
    private void enter(InputRecord record) {
        record.admission(++admissions);
    }

    private static InputRejectedException alreadySubmitted(Input input) {
        return new InputRejectedException("input id " + input.header().id() + " was already submitted");
    }

    /**
     * The first half of a placement whose write goes on without the driver lock: the prepared record (FIFO,
     * QUEUED) enters the ledger (it deduplicates and counts against the bounds from now on) with its number,
     * but not its lane, until {@link #committed} says {@code commit} completed. A reserved record is active: a
     * stop or reset abandons it like any other.
     *
     * @param commit the write of the record, or {@code null} when there is none to wait for (an ephemeral
     *               input, which must still wait for the records reserved before it)
     */
    public void reserve(Admission.Prepared prepared, CompletableFuture<Void> commit) {
        InputRecord record = prepared.record();
        if (record.state() != InputLifecycleState.QUEUED || record.policy().queueMode() != QueueMode.FIFO) {
            throw new IllegalArgumentException("only a queued FIFO input is reserved, not " + record.state() + " "
                    + record.policy().queueMode());
        }
        if (!claim(record)) {
            throw new IllegalStateException("input " + record.id() + " was claimed while it was prepared: a store's "
                    + "session never takes the lock-free way in");
        }
        enter(record);
        backSequence = Math.max(backSequence, record.sequence());
        record.pendingCommit(commit);
        reserved.addLast(record);
    }

    /**
     * Marks every reserved record as ended without a write: call before an end the store does not keep (the
     * runtime closing) abandons them, so that a failure of their own write, coming later, is not taken for
     * an admission the store holds all the same ({@link InputRecord#endedUnwritten()}).
     */
    public void endReservedUnwritten() {
        for (InputRecord record : reserved) {
            record.markEndedUnwritten();
        }
    }

    /** Whether reserved records wait for their commits (a placement now would pass them on their lanes). */
    public boolean hasReservations() {
        return !reserved.isEmpty();
    }

    /** The commit of the last record reserved, or {@code null} if none waits: wait for it to place after them. */
    public CompletableFuture<Void> lastReservation() {
        for (java.util.Iterator<InputRecord> it = reserved.descendingIterator(); it.hasNext(); ) {
            CompletableFuture<Void> commit = it.next().pendingCommit();
            if (commit != null) {
                return commit;
            }
        }
        return null;
    }

    /**
     * The reserved record's write was committed: it goes on its lane as soon as every record reserved before
     * it has; so do the ones after it that were waiting only for it.
     *
     * @return the records put on their lanes now, in order
     */
    public List<InputRecord> committed(InputRecord record) {
        record.pendingCommit(null);
        return placeReserved();
    }

    /**
     * The reserved record's write failed: it leaves the ingress as if never admitted, unless a stop or reset
     * finished it meanwhile (then it stays, finished, as that command wrote it). The records after it may go
     * on their lanes now.
     *
     * @return the records put on their lanes now, in order
     */
    public List<InputRecord> unreserve(InputRecord record) {
        record.pendingCommit(null);
        reserved.remove(record);
        if (!record.state().isTerminal()) {
            forget(record);
        }
        return placeReserved();
    }

    /**
     * Whether putting this record on its lane should wake an idle session: what its policy says when idle. A
     * reserved record is placed after the session may have gone idle, so its placement decides this anew
     * rather than trusting the policy chosen when it was reserved (during a run, which wakes nobody).
     */
    public static boolean wakesWhenIdle(InputRecord record) {
        Input input = record.input();
        return input != null && DefaultPolicyTable.resolve(input, true).wakeMode() == WakeMode.WAKE_IF_IDLE;
    }

    private List<InputRecord> placeReserved() {
        List<InputRecord> placed = List.of();
        while (!reserved.isEmpty() && reserved.peekFirst().pendingCommit() == null) {
            InputRecord record = reserved.pollFirst();
            // A stop or reset may have finished it meanwhile: then it has no lane to go to.
            if (record.state() == InputLifecycleState.QUEUED) {
                if (placed.isEmpty()) {
                    placed = new ArrayList<>(2);
                }
                // Numbered when reserved, and every record numbered after it is placed after it.
                laneOf(record).addLast(record);
                placed.add(record);
            }
        }
        return placed;
    }

    /**
     * Takes back an input a store kept, by Meerkat 0.5's recovery rules: ACCEPTED becomes QUEUED;
     * APPLIED and APPLIED_PENDING_CONSUMPTION become CONSUMED if the receipt of the run that staged them was
     * stored; STAGED, and APPLIED without that receipt, were in a run a crash cut short, which counts as an
     * attempt: QUEUED (the run is done again, with the same attempt key), or ABANDONED
     * ({@link AbandonReason#MAX_ATTEMPTS_EXHAUSTED}) once that was its {@code maxAttempts}-th run; QUEUED and finished
     * inputs stay as they were; an input its policy consumes on acceptance is CONSUMED. A QUEUED input goes to the back of its lane: call in sequence order and
     * the lanes are what they were. Finished inputs come back with their idempotency keys, so a resubmit
     * after a restart is deduplicated. The session's bounds do not refuse a recovered input: it was
     * accepted before.
     *
     * @param receiptStored whether the store holds the receipt of {@code stored.stagedRun()}
     * @param maxAttempts   the runs an input may take part in
     * @return whether the rules changed its state (the store must then be told)
     */
    public boolean restore(StoredInput stored, boolean receiptStored, long nowMillis, int maxAttempts) {
        InputLifecycleState storedState = stored.status().state();
        if (ledger.containsKey(stored.inputId())) {
            throw new IllegalStateException("input " + stored.inputId() + " was restored twice");
        }
        boolean cutShort = storedState == InputLifecycleState.STAGED
                || (!receiptStored && (storedState == InputLifecycleState.APPLIED
                        || storedState == InputLifecycleState.APPLIED_PENDING_CONSUMPTION));
        InputLifecycleState recovered = switch (storedState) {
            case ACCEPTED -> InputLifecycleState.QUEUED;
            // Staging wrote the attempt it counted before the run began (SessionDriver.beginNextRun).
            case STAGED, APPLIED, APPLIED_PENDING_CONSUMPTION -> !cutShort ? InputLifecycleState.CONSUMED
                    : stored.status().attempts() >= maxAttempts ? InputLifecycleState.ABANDONED
                    : InputLifecycleState.QUEUED;
            case QUEUED, CONSUMED, SUPERSEDED, COALESCED, ABANDONED -> storedState;
        };
        if (!recovered.isTerminal() && stored.input() == null) {
            throw new IllegalStateException("input " + stored.inputId() + " is " + storedState
                    + " but its content was not stored");
        }
        PolicyDecision policy = recovered.isTerminal() ? null : activePolicy(stored.input(), stored.status().lane());
        if (policy != null && policy.applyMode() == ApplyMode.IGNORE && policy.consumePoint() == ConsumePoint.ON_ACCEPT) {
            // Consumed when accepted: nothing ever runs it.
            recovered = InputLifecycleState.CONSUMED;
        }
        InputRecord record;
        // Every stored input keeps its number, finished ones too: numbers handed out from now on are new.
        frontSequence = Math.min(frontSequence, stored.sequence());
        backSequence = Math.max(backSequence, stored.sequence());
        if (recovered.isTerminal()) {
            record = new InputRecord(stored, finishedPolicy(stored.status().lane()), 0);
            if (cutShort) {
                record.recoverCutShort(nowMillis, maxAttempts);
            } else if (recovered != storedState) {
                record.recoverTo(recovered, nowMillis, "recovered: " + (policy != null ? "consumed on accept"
                        : "the receipt of its run was stored"));
            }
            record.releasePayload();
            restoreClaim(record);
            // Counted as active for the moment, so that onTerminal's bookkeeping applies as for any input.
            ACTIVE_COUNT.getAndAdd(this, 1);
            runtimeBudget.forceReserve(0);
            onTerminal(record);
            return recovered != storedState;
        }
        long size = InputValidator.payloadSize(stored.input());
        record = new InputRecord(stored, policy, size);
        if (cutShort) {
            record.recoverCutShort(nowMillis, maxAttempts);
        } else if (recovered != storedState) {
            record.recoverTo(recovered, nowMillis, "recovered after a restart");
        }
        runtimeBudget.forceReserve(size);
        restoreClaim(record);
        ACTIVE_COUNT.getAndAdd(this, 1);
        ACTIVE_CHARS.getAndAdd(this, size);
        ReplaceKey replaceKey = ReplaceKey.of(record);
        if (replaceKey != null) {
            unfinishedByScope.computeIfAbsent(replaceKey, k -> new ArrayList<>(2)).add(record);
        }
        laneOf(record).addLast(record);
        return recovered != storedState;
    }

    /** Puts a recovered record in the ledger (before the session is published: nothing races it). */
    private void restoreClaim(InputRecord record) {
        ledger.put(record.id(), record);
        if (record.idempotencyKey() != null) {
            keys().put(record.idempotencyKey(), record);
        }
        enter(record);
    }

    /** The policy of a recovered input: the table's, for the lane it was admitted to. */
    private static PolicyDecision activePolicy(Input input, Lane lane) {
        PolicyDecision idle = DefaultPolicyTable.resolve(input, true);
        return idle.lane() == lane ? idle : DefaultPolicyTable.resolve(input, false);
    }

    /** A finished input keeps only its lane of everything its policy said. */
    private static PolicyDecision finishedPolicy(Lane lane) {
        return lane == null ? FINISHED_WITHOUT_LANE : FINISHED_ON_LANE[lane.ordinal()];
    }

    /** Shared by every finished recovered record of a lane: a store may hold millions of them. */
    private static final PolicyDecision[] FINISHED_ON_LANE = Arrays.stream(Lane.values())
            .map(Ingress::newFinishedPolicy).toArray(PolicyDecision[]::new);
    private static final PolicyDecision FINISHED_WITHOUT_LANE = newFinishedPolicy(null);

    private static PolicyDecision newFinishedPolicy(Lane lane) {
        return new PolicyDecision(ApplyMode.IGNORE, WakeMode.NONE, QueueMode.FIFO, ConsumePoint.ON_RUN_COMPLETE,
                lane, false);
    }

    /**
     * Takes one input holding {@code size} characters from the session's bounds and the runtime's budget,
     * all or nothing. Lock-free and atomic: concurrent submitters never pass a bound together (the count is
     * compared and set; the content is added and taken back when it passes, so that two inputs racing for the
     * last room may both be refused, never both admitted).
     */
    private void reserveSlot(long size) {
        int count;
        do {
            count = activeCount;
            if (count >= maxQueuedInputs) {
                throw new QueueFullException("the session holds " + count + " unfinished inputs, its limit; "
                        + "retry once some have finished");
            }
        } while (!ACTIVE_COUNT.weakCompareAndSet(this, count, count + 1));
        long chars = (long) ACTIVE_CHARS.getAndAdd(this, size);
        if (size > maxQueuedChars - chars) {
            ACTIVE_CHARS.getAndAdd(this, -size);
            ACTIVE_COUNT.getAndAdd(this, -1);
            throw new QueueFullException("the session's unfinished inputs hold " + chars + " characters; "
                    + size + " more would pass its limit of " + maxQueuedChars + "; retry once some have finished");
        }
        if (!runtimeBudget.tryReserve(size)) {
            ACTIVE_CHARS.getAndAdd(this, -size);
            ACTIVE_COUNT.getAndAdd(this, -1);
            throw new QueueFullException("the runtime's unfinished inputs hold " + runtimeBudget.used()
                    + " characters (content, and " + QueuedPayloadBudget.PER_INPUT_CHARS + " per input); this input's "
                    + size + " would pass its limit of " + runtimeBudget.limit() + "; retry once some have finished");
        }
    }

    /** Gives back what {@link #reserveSlot} took. */
    private void releaseSlot(long size) {
        releaseSlots(1, size);
    }

    /** Gives back what {@code inputs} calls of {@link #reserveSlot} took for {@code size} characters together. */
    private void releaseSlots(int inputs, long size) {
        ACTIVE_COUNT.getAndAdd(this, -inputs);
        ACTIVE_CHARS.getAndAdd(this, -size);
        runtimeBudget.release(size, inputs);
    }

    /**
     * Coalesces every QUEUED record of the new record's scope into it, oldest first. One STAGED belongs
     * to a run and finishes there; if that run fails, it goes back QUEUED beside the newer one, and the
     * next input of the scope coalesces both.
     */
    private List<InputRecord> displaceQueuedTwins(InputRecord record, long nowMillis) {
        ReplaceKey replaceKey = ReplaceKey.of(record);
        if (replaceKey == null) {
            return List.of();
        }
        List<InputRecord> scope = unfinishedByScope.computeIfAbsent(replaceKey, k -> new ArrayList<>(2));
        List<InputRecord> displaced = List.of();
        for (InputRecord twin : scope) {
            if (twin.state() == InputLifecycleState.QUEUED) {
                if (displaced.isEmpty()) {
                    displaced = new ArrayList<>(2);
                }
                displaced.add(twin);
            }
        }
        scope.add(record);
        for (InputRecord twin : displaced) {
            laneOf(twin).remove(twin);
            twin.replacedBy(InputLifecycleState.COALESCED, record.id(), nowMillis);
            onTerminal(twin);
        }
        return displaced;
    }

    /**
     * Takes the next unit of work off the lanes: the steer lane first (consecutive inputs sharing the
     * head's boundary); else a prompt at the head of the queue alone; else consecutive non-prompts.
     *
     * @return the batch, or {@code null} when both lanes are empty
     */
    public Batch drainNextBatch(int maxBatchSize) {
        if (!steerLane.isEmpty()) {
            ApplyMode mode = steerLane.peekFirst().policy().applyMode();
            return new Batch(takeWhile(steerLane, maxBatchSize, r -> r.policy().applyMode() == mode),
                    mode.boundary());
        }
        InputRecord head = queueLane.peekFirst();
        if (head == null) {
            return null;
        }
        if (head.kind() == InputKind.PROMPT) {
            queueLane.pollFirst();
            return new Batch(List.of(head), head.policy().applyMode().boundary());
        }
        ApplyMode mode = head.policy().applyMode();
        return new Batch(takeWhile(queueLane, maxBatchSize,
                r -> r.kind() != InputKind.PROMPT && r.policy().applyMode() == mode), mode.boundary());
    }

    private static List<InputRecord> takeWhile(ArrayDeque<InputRecord> lane, int max,
                                               java.util.function.Predicate<InputRecord> joins) {
        List<InputRecord> taken = new ArrayList<>(Math.min(lane.size(), max));
        while (taken.size() < max && !lane.isEmpty() && joins.test(lane.peekFirst())) {
            taken.add(lane.pollFirst());
        }
        return taken;
    }

    /** QUEUED → STAGED for every record of a batch taken by {@link #drainNextBatch}. */
    public void stage(Batch batch, RunId runId, long nowMillis) {
        for (InputRecord record : batch.records()) {
            record.stage(runId, nowMillis);
        }
    }

    /**
     * Takes back a staging the store refused to write: the batch's records still staged go back to the front
     * of their lanes, in order, their attempt not counted (the run never began).
     */
    public void unstage(Batch batch, String reason, long nowMillis) {
        List<InputRecord> records = batch.records();
        for (int i = records.size() - 1; i >= 0; i--) {
            InputRecord record = records.get(i);
            if (record.state() == InputLifecycleState.STAGED) {
                record.unstage(reason, nowMillis);
                putFirst(record);
            }
        }
    }

    /**
     * STAGED → APPLIED → APPLIED_PENDING_CONSUMPTION → CONSUMED for the batch's records still staged.
     *
     * @return the records consumed
     */
    public List<InputRecord> consume(Batch batch, long nowMillis) {
        return consume(batch, nowMillis, false);
    }

    private List<InputRecord> consume(Batch batch, long nowMillis, boolean preview) {
        List<InputRecord> consumed = new ArrayList<>(batch.records().size());
        long chars = 0;
        for (InputRecord staged : batch.records()) {
            if (staged.state() == InputLifecycleState.STAGED) {
                InputRecord record = preview ? staged.preview() : staged;
                record.moveTo(InputLifecycleState.APPLIED, nowMillis, null);
                record.moveTo(InputLifecycleState.APPLIED_PENDING_CONSUMPTION, nowMillis, null);
                record.moveTo(InputLifecycleState.CONSUMED, nowMillis, null);
                if (!preview) {
                    chars += record.payloadChars();
                    retire(record);
                }
                consumed.add(record);
            }
        }
        if (!preview && !consumed.isEmpty()) {
            // The batch's share of the bounds in one step: these counts are shared with lock-free submitters.
            releaseSlots(consumed.size(), chars);
        }
        return consumed;
    }

    /**
     * Puts a failed batch's staged records back at the front of their lanes, in order; a record that
     * has been staged {@code maxAttempts} times is abandoned ({@link AbandonReason#MAX_ATTEMPTS_EXHAUSTED})
     * instead.
     *
     * @return the records abandoned for good
     */
    public List<InputRecord> rollback(Batch batch, String error, long nowMillis, int maxAttempts) {
        return rollback(batch, error, nowMillis, maxAttempts, null);
    }

    /** With {@code changed} non-null, a preview: the copies of every record it changes are added there. */
    private List<InputRecord> rollback(Batch batch, String error, long nowMillis, int maxAttempts,
                                       List<InputRecord> changed) {
        boolean preview = changed != null;
        long front = frontSequence;
        List<InputRecord> exhausted = new ArrayList<>(0);
        List<InputRecord> records = batch.records();
        for (int i = records.size() - 1; i >= 0; i--) {
            InputRecord staged = records.get(i);
            if (staged.state() != InputLifecycleState.STAGED) {
                continue;
            }
            InputRecord record = preview ? staged.preview() : staged;
            if (record.attempts() >= maxAttempts) {
                record.abandon(AbandonReason.MAX_ATTEMPTS_EXHAUSTED, nowMillis);
                if (!preview) {
                    onTerminal(record);
                }
                exhausted.add(0, record);
            } else {
                record.moveTo(InputLifecycleState.QUEUED, nowMillis, "run failed: " + error);
                if (preview) {
                    record.sequence(--front);
                } else {
                    putFirst(record);
                }
            }
            if (preview) {
                changed.add(record);
            }
        }
        return exhausted;
    }

    /**
     * Abandons the batch's records that are still staged.
     *
     * @return the records abandoned
     */
    public List<InputRecord> abandonStaged(Batch batch, AbandonReason reason, long nowMillis) {
        return abandonStaged(batch, reason, nowMillis, false);
    }

    private List<InputRecord> abandonStaged(Batch batch, AbandonReason reason, long nowMillis, boolean preview) {
        List<InputRecord> abandoned = new ArrayList<>(batch.records().size());
        for (InputRecord staged : batch.records()) {
            if (staged.state() == InputLifecycleState.STAGED) {
                InputRecord record = preview ? staged.preview() : staged;
                record.abandon(reason, nowMillis);
                if (!preview) {
                    onTerminal(record);
                }
                abandoned.add(record);
            }
        }
        return abandoned;
    }

    /**
     * Abandons every non-terminal input and empties both lanes.
     *
     * @return the records abandoned, oldest first
     */
    public List<InputRecord> abandonAll(AbandonReason reason, long nowMillis) {
        return abandonAll(reason, nowMillis, false);
    }

    private List<InputRecord> abandonAll(AbandonReason reason, long nowMillis, boolean preview) {
        List<InputRecord> active = activeRecords();
        if (!preview) {
            queueLane.clear();
            steerLane.clear();
        }
        List<InputRecord> abandoned = preview ? new ArrayList<>(active.size()) : active;
        for (InputRecord unfinished : active) {
            InputRecord record = preview ? unfinished.preview() : unfinished;
            record.abandon(reason, nowMillis);
            if (preview) {
                abandoned.add(record);
            } else {
                onTerminal(record);
            }
        }
        return abandoned;
    }

    /**
     * Sends ACCEPTED and STAGED inputs back to their lanes (after a recycle): nothing is lost, the
     * lanes hold exactly the QUEUED inputs.
     *
     * @return how many inputs were requeued
     */
    public int requeueInterrupted(long nowMillis) {
        return requeueInterrupted(nowMillis, null);
    }

    private int requeueInterrupted(long nowMillis, List<InputRecord> changed) {
        boolean preview = changed != null;
        long front = frontSequence;
        int requeued = 0;
        List<InputRecord> staged = new ArrayList<>();
        for (InputRecord record : ledger.values()) {
            if (record.state() == InputLifecycleState.STAGED) {
                staged.add(record);
            }
        }
        staged.sort(IN_ADMISSION_ORDER);
        for (int i = staged.size() - 1; i >= 0; i--) {
            InputRecord record = preview ? staged.get(i).preview() : staged.get(i);
            record.moveTo(InputLifecycleState.QUEUED, nowMillis, "recycled");
            if (preview) {
                record.sequence(--front);
                changed.add(record);
            } else {
                putFirst(record);
            }
            requeued++;
        }
        return requeued;
    }

    /**
     * What the changes of the methods of the same names would make of the records, worked out on copies
     * ({@link InputRecord#preview()}): the ingress is left as it is. The session driver writes these down
     * before it makes the change, so that a write that fails leaves the session as it was.
     */
    public Preview preview() {
        return new Preview();
    }

    /** See {@link #preview()}. Every method returns the copies of the records the change would alter. */
    public final class Preview {

        private Preview() {
        }

        public List<InputRecord> consume(Batch batch, long nowMillis) {
            return Ingress.this.consume(batch, nowMillis, true);
        }

        public List<InputRecord> rollback(Batch batch, String error, long nowMillis, int maxAttempts) {
            List<InputRecord> changed = new ArrayList<>(batch.records().size());
            Ingress.this.rollback(batch, error, nowMillis, maxAttempts, changed);
            return changed;
        }

        public List<InputRecord> abandonStaged(Batch batch, AbandonReason reason, long nowMillis) {
            return Ingress.this.abandonStaged(batch, reason, nowMillis, true);
        }

        public List<InputRecord> abandonAll(AbandonReason reason, long nowMillis) {
            return Ingress.this.abandonAll(reason, nowMillis, true);
        }

        public List<InputRecord> requeueInterrupted(long nowMillis) {
            List<InputRecord> changed = new ArrayList<>();
            Ingress.this.requeueInterrupted(nowMillis, changed);
            return changed;
        }
    }

    /** The record of an input, if it is still retained (a record still in the inbox is not, yet). */
    public InputRecord find(InputId inputId) {
        InputRecord record = ledger.get(inputId);
        return record == null || record.inInbox() ? null : record;
    }

    /** Whether the input is known and not terminal. */
    public boolean isActive(InputId inputId) {
        InputRecord record = find(inputId);
        return record != null && !record.state().isTerminal();
    }

    /** Every non-terminal record the ingress took in, oldest first (records still in the inbox are not). */
    public List<InputRecord> activeRecords() {
        if (activeCount == 0) {
            return new ArrayList<>(0);
        }
        List<InputRecord> active = new ArrayList<>();
        for (InputRecord record : ledger.values()) {
            if (!record.state().isTerminal() && !record.inInbox()) {
                active.add(record);
            }
        }
        active.sort(IN_ADMISSION_ORDER);
        return active;
    }

    private static final Comparator<InputRecord> IN_ADMISSION_ORDER = Comparator.comparingLong(InputRecord::admission);

    public int activeCount() {
        return activeCount;
    }

    /** The content the non-terminal inputs hold, in characters. */
    public long activeChars() {
        return activeChars;
    }

    /** Inputs waiting on a lane. */
    public int depth(Lane lane) {
        return lane == Lane.STEER ? steerLane.size() : queueLane.size();
    }

    /** Whether both lanes are empty. */
    public boolean lanesEmpty() {
        return queueLane.isEmpty() && steerLane.isEmpty();
    }

    /** Puts a record at the front of its lane, numbered below every record in either lane. */
    private void putFirst(InputRecord record) {
        record.sequence(--frontSequence);
        laneOf(record).addFirst(record);
    }

    /** Puts a record at the back of its lane, numbered above every record in either lane. */
    private void putLast(InputRecord record) {
        record.sequence(++backSequence);
        laneOf(record).addLast(record);
    }

    private ArrayDeque<InputRecord> laneOf(InputRecord record) {
        return record.lane() == Lane.STEER ? steerLane : queueLane;
    }

    private void onTerminal(InputRecord record) {
        releaseSlot(record.payloadChars());
        retire(record);
    }

    /** {@link #onTerminal} but for the bounds, which the caller gives back (for several records at once). */
    private void retire(InputRecord record) {
        ReplaceKey replaceKey = ReplaceKey.of(record);
        if (replaceKey != null) {
            List<InputRecord> scope = unfinishedByScope.get(replaceKey);
            if (scope != null && scope.remove(record) && scope.isEmpty()) {
                unfinishedByScope.remove(replaceKey);
            }
        }
        record.releasePayload();
        finished.addLast(record);
        finishedKeyChars += keyChars(record);
        // Finished records keep their idempotency keys (for dedup), which may be long: bounded like content.
        while (finished.size() > finishedRetention || finishedKeyChars > maxQueuedChars) {
            InputRecord evicted = finished.pollFirst();
            ledger.remove(evicted.id());
            String key = evicted.idempotencyKey();
            finishedKeyChars -= keyChars(evicted);
            if (key != null) {
                keys().remove(key, evicted);
            }
        }
    }

    private static long keyChars(InputRecord record) {
        return record.idempotencyKey() == null ? 0 : record.idempotencyKey().length();
    }

    /** The retained records, oldest first (for invariant checks). */
    List<InputRecord> retainedRecords() {
        List<InputRecord> retained = new ArrayList<>();
        for (InputRecord record : ledger.values()) {
            if (!record.inInbox()) {
                retained.add(record);
            }
        }
        retained.sort(IN_ADMISSION_ORDER);
        return retained;
    }

    /** The lanes' contents in order, steer lane first (for invariant checks). */
    List<List<InputRecord>> laneContents() {
        return List.of(new ArrayList<>(steerLane), new ArrayList<>(queueLane));
    }

    /**
     * What makes two queued inputs replace one another. Only an input whose policy says so
     * ({@link QueueMode#COALESCE}: peer response progress) replaces anything, as in Meerkat 0.5's policy
     * table; every other kind is FIFO and keeps all its inputs, supersession key or not. The scope is the
     * kind and supersession key; progress without a key coalesces by peer and request (a departure,
     * see the module README).
     */
    private record ReplaceKey(InputKind kind, String supersessionKey, String peer, String requestId) {

        static ReplaceKey of(InputRecord record) {
            if (record.policy().queueMode() != QueueMode.COALESCE) {
                return null;
            }
            Input input = record.input();
            String supersession = input.header().supersessionKey();
            if (supersession != null) {
                return new ReplaceKey(input.kind(), supersession, null, null);
            }
            if (input instanceof Input.PeerResponseProgress progress) {
                return new ReplaceKey(input.kind(), null, progress.peer(), progress.requestId());
            }
            return null;
        }
    }
}
