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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A session's input ledger and its two lanes: admission (dedup, policy, supersession, coalescing,
 * priority), batching, staging, commit and rollback. Not thread safe: the session driver owns it and
 * calls it under its lock.
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
    private final LinkedHashMap<InputId, InputRecord> ledger = new LinkedHashMap<>();
    private final ArrayDeque<InputRecord> finished = new ArrayDeque<>();
    private final Map<String, InputRecord> byIdempotencyKey = new HashMap<>();
    /**
     * The unfinished records of each replace scope (at most a staged batch's worth plus the one queued
     * after them), so that a new input of the scope replaces every one of them still QUEUED: a record
     * a failed run put back beside a newer one included.
     */
    private final Map<ReplaceKey, List<InputRecord>> unfinishedByScope = new HashMap<>();
    private final ArrayDeque<InputRecord> queueLane = new ArrayDeque<>();
    private final ArrayDeque<InputRecord> steerLane = new ArrayDeque<>();
    /**
     * The numbers handed to records put at the front and at the back of a lane, so that a lane sorted by
     * {@link InputRecord#sequence()} is the lane (what a store keeps, to rebuild the lanes on recovery).
     */
    private long frontSequence;
    private long backSequence;
    private int activeCount;
    private long activeChars;
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
     * Admits a validated input: dedup by idempotency key, then policy, then placement on a lane.
     *
     * @param runtimeIdle whether no run is in flight (drives the wake policy)
     * @throws QueueFullException if holding the input would pass a bound (a duplicate never does: it
     *                            stores nothing)
     */
    public Admission admit(Input input, boolean runtimeIdle, long nowMillis) {
        String key = input.header().idempotencyKey();
        if (key != null) {
            InputRecord existing = byIdempotencyKey.get(key);
            if (existing != null) {
                return new Admission.Deduplicated(existing);
            }
        }
        if (ledger.containsKey(input.header().id())) {
            throw new InputRejectedException("input id " + input.header().id() + " was already submitted");
        }
        long size = InputValidator.payloadSize(input);
        reserve(size);
        // From here nothing throws: the reservation is the record's, given back when it turns terminal.
        PolicyDecision policy = DefaultPolicyTable.resolve(input, runtimeIdle);
        InputRecord record = new InputRecord(input, policy, size, nowMillis);
        ledger.put(record.id(), record);
        activeCount++;
        activeChars += size;
        if (key != null) {
            byIdempotencyKey.put(key, record);
        }
        if (policy.applyMode() == ApplyMode.IGNORE && policy.consumePoint() == ConsumePoint.ON_ACCEPT) {
            record.moveTo(InputLifecycleState.CONSUMED, nowMillis, "consumed on accept");
            onTerminal(record);
            return new Admission.Accepted(record, List.of(), false);
        }
        List<InputRecord> displaced = displaceQueuedTwins(record, nowMillis);
        record.moveTo(InputLifecycleState.QUEUED, nowMillis, null);
        if (policy.queueMode() == QueueMode.PRIORITY) {
            putFirst(record);
        } else {
            putLast(record);
        }
        return new Admission.Accepted(record, displaced, policy.wakeMode() == WakeMode.WAKE_IF_IDLE);
    }

    /**
     * Takes back an input a store kept, by Meerkat 0.5's recovery rules: ACCEPTED and STAGED become
     * QUEUED; APPLIED and APPLIED_PENDING_CONSUMPTION become CONSUMED if the receipt of the run that staged
     * them was stored, else QUEUED with their attempts kept (the run is done again); QUEUED and finished
     * inputs stay as they were; an input its policy consumes on acceptance is CONSUMED. A QUEUED input goes to the back of its lane: call in sequence order and
     * the lanes are what they were. Finished inputs come back with their idempotency keys, so a resubmit
     * after a restart is deduplicated. The session's bounds do not refuse a recovered input: it was
     * accepted before.
     *
     * @param receiptStored whether the store holds the receipt of {@code stored.stagedRun()}
     * @return whether the rules changed its state (the store must then be told)
     */
    public boolean restore(StoredInput stored, boolean receiptStored, long nowMillis) {
        InputLifecycleState storedState = stored.status().state();
        if (ledger.containsKey(stored.inputId())) {
            throw new IllegalStateException("input " + stored.inputId() + " was restored twice");
        }
        InputLifecycleState recovered = switch (storedState) {
            case ACCEPTED, STAGED -> InputLifecycleState.QUEUED;
            case APPLIED, APPLIED_PENDING_CONSUMPTION ->
                    receiptStored ? InputLifecycleState.CONSUMED : InputLifecycleState.QUEUED;
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
        if (recovered.isTerminal()) {
            record = new InputRecord(stored, finishedPolicy(stored.status().lane()), 0);
            if (recovered != storedState) {
                record.recoverTo(recovered, nowMillis, "recovered: " + (policy != null ? "consumed on accept"
                        : "the receipt of its run was stored"));
            }
            record.releasePayload();
            ledger.put(record.id(), record);
            if (record.idempotencyKey() != null) {
                byIdempotencyKey.put(record.idempotencyKey(), record);
            }
            // Counted as active for the moment, so that onTerminal's bookkeeping applies as for any input.
            activeCount++;
            runtimeBudget.forceReserve(0);
            onTerminal(record);
            return recovered != storedState;
        }
        long size = InputValidator.payloadSize(stored.input());
        record = new InputRecord(stored, policy, size);
        if (recovered != storedState) {
            record.recoverTo(recovered, nowMillis, "recovered after a restart");
        }
        runtimeBudget.forceReserve(size);
        ledger.put(record.id(), record);
        activeCount++;
        activeChars += size;
        if (record.idempotencyKey() != null) {
            byIdempotencyKey.put(record.idempotencyKey(), record);
        }
        ReplaceKey replaceKey = ReplaceKey.of(record);
        if (replaceKey != null) {
            unfinishedByScope.computeIfAbsent(replaceKey, k -> new ArrayList<>(2)).add(record);
        }
        laneOf(record).addLast(record);
        frontSequence = Math.min(frontSequence, record.sequence());
        backSequence = Math.max(backSequence, record.sequence());
        return recovered != storedState;
    }

    /** The policy of a recovered input: the table's, for the lane it was admitted to. */
    private static PolicyDecision activePolicy(Input input, Lane lane) {
        PolicyDecision idle = DefaultPolicyTable.resolve(input, true);
        return idle.lane() == lane ? idle : DefaultPolicyTable.resolve(input, false);
    }

    /** A finished input keeps only its lane of everything its policy said. */
    private static PolicyDecision finishedPolicy(Lane lane) {
        return new PolicyDecision(ApplyMode.IGNORE, WakeMode.NONE, QueueMode.FIFO, ConsumePoint.ON_RUN_COMPLETE,
                lane, false);
    }

    /**
     * Checks the session's bounds and takes {@code size} from the runtime's budget. The session's own
     * counts change only under the driver lock, which the caller holds, so concurrent submitters to one
     * session cannot pass them; the runtime's budget is shared, and reserves atomically.
     */
    private void reserve(long size) {
        if (activeCount >= maxQueuedInputs) {
            throw new QueueFullException("the session holds " + activeCount + " unfinished inputs, its limit; "
                    + "retry once some have finished");
        }
        if (size > maxQueuedChars - activeChars) {
            throw new QueueFullException("the session's unfinished inputs hold " + activeChars + " characters; "
                    + size + " more would pass its limit of " + maxQueuedChars + "; retry once some have finished");
        }
        if (!runtimeBudget.tryReserve(size)) {
            throw new QueueFullException("the runtime's unfinished inputs hold " + runtimeBudget.used()
                    + " characters (content, and " + QueuedPayloadBudget.PER_INPUT_CHARS + " per input); this input's "
                    + size + " would pass its limit of " + runtimeBudget.limit() + "; retry once some have finished");
        }
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
     * STAGED → APPLIED → APPLIED_PENDING_CONSUMPTION → CONSUMED for the batch's records still staged.
     *
     * @return the records consumed
     */
    public List<InputRecord> consume(Batch batch, long nowMillis) {
        List<InputRecord> consumed = new ArrayList<>(batch.records().size());
        for (InputRecord record : batch.records()) {
            if (record.state() == InputLifecycleState.STAGED) {
                record.moveTo(InputLifecycleState.APPLIED, nowMillis, null);
                record.moveTo(InputLifecycleState.APPLIED_PENDING_CONSUMPTION, nowMillis, null);
                record.moveTo(InputLifecycleState.CONSUMED, nowMillis, null);
                onTerminal(record);
                consumed.add(record);
            }
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
        List<InputRecord> exhausted = new ArrayList<>(0);
        List<InputRecord> records = batch.records();
        for (int i = records.size() - 1; i >= 0; i--) {
            InputRecord record = records.get(i);
            if (record.state() != InputLifecycleState.STAGED) {
                continue;
            }
            if (record.attempts() >= maxAttempts) {
                record.abandon(AbandonReason.MAX_ATTEMPTS_EXHAUSTED, nowMillis);
                onTerminal(record);
                exhausted.add(0, record);
            } else {
                record.moveTo(InputLifecycleState.QUEUED, nowMillis, "run failed: " + error);
                putFirst(record);
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
        List<InputRecord> abandoned = new ArrayList<>(batch.records().size());
        for (InputRecord record : batch.records()) {
            if (record.state() == InputLifecycleState.STAGED) {
                record.abandon(reason, nowMillis);
                onTerminal(record);
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
        List<InputRecord> active = activeRecords();
        queueLane.clear();
        steerLane.clear();
        for (InputRecord record : active) {
            record.abandon(reason, nowMillis);
            onTerminal(record);
        }
        return active;
    }

    /**
     * Sends ACCEPTED and STAGED inputs back to their lanes (after a recycle): nothing is lost, the
     * lanes hold exactly the QUEUED inputs.
     *
     * @return how many inputs were requeued
     */
    public int requeueInterrupted(long nowMillis) {
        int requeued = 0;
        List<InputRecord> staged = new ArrayList<>();
        for (InputRecord record : ledger.values()) {
            if (record.state() == InputLifecycleState.STAGED) {
                staged.add(record);
            }
        }
        for (int i = staged.size() - 1; i >= 0; i--) {
            InputRecord record = staged.get(i);
            record.moveTo(InputLifecycleState.QUEUED, nowMillis, "recycled");
            putFirst(record);
            requeued++;
        }
        return requeued;
    }

    /** The record of an input, if it is still retained. */
    public InputRecord find(InputId inputId) {
        return ledger.get(inputId);
    }

    /** Whether the input is known and not terminal. */
    public boolean isActive(InputId inputId) {
        InputRecord record = ledger.get(inputId);
        return record != null && !record.state().isTerminal();
    }

    /** Every non-terminal record, oldest first. */
    public List<InputRecord> activeRecords() {
        List<InputRecord> active = new ArrayList<>(activeCount);
        if (activeCount == 0) {
            return active;
        }
        for (InputRecord record : ledger.values()) {
            if (!record.state().isTerminal()) {
                active.add(record);
            }
        }
        return active;
    }

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
        activeCount--;
        activeChars -= record.payloadChars();
        runtimeBudget.release(record.payloadChars());
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
                byIdempotencyKey.remove(key, evicted);
            }
        }
    }

    private static long keyChars(InputRecord record) {
        return record.idempotencyKey() == null ? 0 : record.idempotencyKey().length();
    }

    /** The retained records, oldest first (for invariant checks). */
    List<InputRecord> retainedRecords() {
        return new ArrayList<>(ledger.values());
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
