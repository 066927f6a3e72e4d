package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.StoredInput;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The session's mutable record of one input: its state, attempts and history. Owned by the session
 * driver and only touched under its lock, but for a record on its way in through the {@link Inbox}: its
 * submitter builds it without the lock, and it is published to the driver by the push (a release/acquire
 * pair), after which the submitter touches only its inbox state and waiter count, both atomic.
 *
 * <p>History is packed, one {@code long} per step (milliseconds, from, to), because every input
 * takes about six steps and the hot path must not allocate a record per step.
 *
 * <p>A finished record lets go of its input's content ({@link #input()} is then {@code null}): the
 * ledger keeps finished records for lookups and dedup, and must not keep their payloads alive.
 */
public final class InputRecord {

    private static final VarHandle WAITERS_IN_FLIGHT;
    private static final VarHandle INBOX_STATE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WAITERS_IN_FLIGHT = lookup.findVarHandle(InputRecord.class, "waitersInFlight", int.class);
            INBOX_STATE = lookup.findVarHandle(InputRecord.class, "inboxState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final InputLifecycleState[] STATES = InputLifecycleState.values();
    /**
     * The history reason of a recovery that found the input in a run a crash cut short (STAGED, or APPLIED
     * without a receipt): counted back from a stored history ({@link #cutShort}), so it is part of what is stored.
     */
    static final String CUT_SHORT = "recovered after a restart: its run was cut short";
    private static final int INITIAL_HISTORY = 6;

    private final InputId id;
    private final String idempotencyKey;
    private final InputKind kind;
    private final long payloadChars;
    /** Whether a store keeps it: every input but an {@link io.meerkat.runtime.api.Durability#EPHEMERAL} one. */
    private final boolean durable;
    /** Guarded by the session driver's lock, like the rest of the record's mutable state; null once finished. */
    private Input input;
    private final PolicyDecision policy;
    private InputLifecycleState state;
    private int attempts;
    /** Of {@link #attempts}, the runs a crash cut short (see {@link #attemptOfRun()}). */
    private int cutShort;
    private AbandonReason abandonReason;
    private InputId supersededBy;
    private RunId stagedRun;
    private boolean awaited;
    /**
     * Reserved, then abandoned by an end the store does not keep (the runtime closing): its end was not written,
     * so a failure of its own write stands (see {@link Ingress#endReservedUnwritten}). Guarded by the driver lock.
     */
    private boolean endedUnwritten;
    private long sequence;
    /**
     * Waiters handed out for this input and not yet in the completion registry: incremented under the
     * driver lock, decremented without it by the registering thread ({@link #WAITERS_IN_FLIGHT}).
     */
    private volatile int waitersInFlight;
    /**
     * The outcome this input was settled with while waiters of it were on their way to the registry (its
     * settler found them nowhere to resolve): they take it from here. Written by the settler under the
     * driver lock, read and cleared by registering threads without it; {@code null} otherwise, so that a
     * finished input holds no result once nobody is on the way.
     */
    private volatile CompletionOutcome outcomeForLateWaiters;
    /**
     * While the record is reserved and its write not yet committed ({@link Ingress#reserve}): the commit.
     * Guarded by the session driver's lock; {@code null} once committed, and for every record not reserved.
     */
    private CompletableFuture<Void> pendingCommit;
    /** Where a record that came in through the {@link Inbox} stands: {@link #OUT_OF_INBOX} once the ingress holds it. */
    private volatile int inboxState;
    static final int OUT_OF_INBOX = 0;
    /** Pushed (or about to be) and not yet taken: its id and key are claimed, its place on a lane is not. */
    static final int IN_INBOX = 1;
    /** Taken back by its submitter, which found the session no longer accepting input. */
    static final int WITHDRAWN = 2;
    /** Found by the driver in the inbox of a session no longer accepting input; its submitter tries again under the lock. */
    static final int REFUSED = 3;
    /** The record pushed before this one ({@link Inbox}); written before the push publishes it, read by the taker. */
    InputRecord inboxNext;
    /** The order the ingress took the record in (1, 2, …; 0 while it is in the inbox); guarded by the driver lock. */
    private long admission;
    private long[] history = new long[INITIAL_HISTORY];
    private int historySize;
    private String[] reasons;

    InputRecord(Input input, PolicyDecision policy, long payloadChars, long nowMillis) {
        this.input = input;
        this.id = input.header().id();
        this.idempotencyKey = input.header().idempotencyKey();
        this.kind = input.kind();
        this.payloadChars = payloadChars;
        // As in Meerkat 0.5, only EPHEMERAL inputs are dropped by a restart; DERIVED ones are kept too.
        this.durable = input.header().durability() != Durability.EPHEMERAL;
        this.policy = policy;
        this.state = InputLifecycleState.ACCEPTED;
        append(null, InputLifecycleState.ACCEPTED, nowMillis, null);
    }

    /** A detached copy of {@code other}, without its waiter bookkeeping (see {@link #preview()}). */
    private InputRecord(InputRecord other) {
        this.input = other.input;
        this.id = other.id;
        this.idempotencyKey = other.idempotencyKey;
        this.kind = other.kind;
        this.payloadChars = other.payloadChars;
        this.durable = other.durable;
        this.policy = other.policy;
        this.state = other.state;
        this.attempts = other.attempts;
        this.cutShort = other.cutShort;
        this.abandonReason = other.abandonReason;
        this.supersededBy = other.supersededBy;
        this.stagedRun = other.stagedRun;
        this.awaited = other.awaited;
        this.sequence = other.sequence;
        this.admission = other.admission;
        this.history = other.history.clone();
        this.historySize = other.historySize;
        this.reasons = other.reasons == null ? null : other.reasons.clone();
    }

    /**
     * A record as a store kept it, with its whole history; its state is what was stored (the caller
     * applies the recovery rules with {@link #recoverTo}).
     */
    InputRecord(StoredInput stored, PolicyDecision policy, long payloadChars) {
        InputStatus status = stored.status();
        this.input = stored.input();
        this.id = status.inputId();
        this.idempotencyKey = stored.idempotencyKey();
        this.kind = status.kind();
        this.payloadChars = payloadChars;
        this.durable = true;
        this.policy = policy;
        this.state = status.state();
        this.attempts = status.attempts();
        this.abandonReason = status.abandonReason();
        this.supersededBy = status.supersededBy();
        this.stagedRun = stored.stagedRun();
        this.sequence = stored.sequence();
        for (InputTransitionRecord step : status.history()) {
            append(step.from(), step.to(), step.at().toEpochMilli(), step.reason());
            if (CUT_SHORT.equals(step.reason())) {
                cutShort++;
            }
        }
    }

    /**
     * A detached copy to make a change on first, so that what the change would store is known before the
     * change is made (the driver writes it down, then changes the real record). Touches nothing shared.
     */
    /** Marks a record on its way in through the inbox; call before it is published anywhere. */
    void enterInbox() {
        inboxState = IN_INBOX;
    }

    /** Whether the record is claimed by a submitter but not yet taken from the inbox (it may still be taken back). */
    public boolean inInbox() {
        return inboxState == IN_INBOX;
    }

    /** Moves an {@link #IN_INBOX} record to {@code to}; {@code false} if someone else moved it first. */
    boolean leaveInbox(int to) {
        return INBOX_STATE.compareAndSet(this, IN_INBOX, to);
    }

    int inboxState() {
        return inboxState;
    }

    long admission() {
        return admission;
    }

    void admission(long order) {
        admission = order;
    }

    InputRecord preview() {
        return new InputRecord(this);
    }

    /** Whether the record's end was not written (see {@link Ingress#endReservedUnwritten}). */
    public boolean endedUnwritten() {
        return endedUnwritten;
    }

    void markEndedUnwritten() {
        endedUnwritten = true;
    }

    /** The commit a reserved record waits for, or {@code null} when it waits for none (see {@link Ingress#reserve}). */
    public CompletableFuture<Void> pendingCommit() {
        return pendingCommit;
    }

    void pendingCommit(CompletableFuture<Void> commit) {
        pendingCommit = commit;
    }

    /** Whether a store keeps this input: it is not {@link io.meerkat.runtime.api.Durability#EPHEMERAL}. */
    public boolean durable() {
        return durable;
    }

    /** This record as a store keeps it. */
    public StoredInput toStored(SessionId sessionId) {
        // A finished input's content is never needed again (nor kept in memory): not stored either.
        return new StoredInput(sessionId, sequence, state.isTerminal() ? null : input, idempotencyKey, toStatus(),
                stagedRun);
    }

    /**
     * Moves a recovered record to the state the recovery rules give it, with {@code reason} in its
     * history. Not checked against the lifecycle machine: a restart is not one of its transitions
     * (APPLIED → QUEUED, for one, is a recovery of a run whose receipt was never stored).
     */
    void recoverTo(InputLifecycleState to, long nowMillis, String reason) {
        append(state, to, nowMillis, reason);
        state = to;
    }

    /**
     * Recovers a record found in a run a crash cut short: that run counts as an attempt (staging wrote it);
     * QUEUED to be done again, or ABANDONED ({@link AbandonReason#MAX_ATTEMPTS_EXHAUSTED}) once it has
     * taken part in {@code maxAttempts} runs, so that an input whose run kills the process is not run after
     * every restart forever.
     */
    void recoverCutShort(long nowMillis, int maxAttempts) {
        if (attempts >= maxAttempts) {
            recoverTo(InputLifecycleState.ABANDONED, nowMillis, AbandonReason.MAX_ATTEMPTS_EXHAUSTED.name());
            abandonReason = AbandonReason.MAX_ATTEMPTS_EXHAUSTED;
        } else {
            recoverTo(InputLifecycleState.QUEUED, nowMillis, CUT_SHORT);
            cutShort++;
        }
    }

    /** Whether an outcome is kept for waiters on their way (for tests: none is kept once they all arrived). */
    boolean keepsOutcomeForLateWaiters() {
        return outcomeForLateWaiters != null;
    }

    /** The input, content included, while it is unfinished; {@code null} once it is terminal. */
    public Input input() {
        return input;
    }

    /** The input's idempotency key, kept after it finished (for dedup); {@code null} for none. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    public InputKind kind() {
        return kind;
    }

    /** The input's content size, counted toward the queue bounds while it is unfinished. */
    long payloadChars() {
        return payloadChars;
    }

    /** Drops the content (and header) of a finished input; its id, idempotency key, kind and history stay. */
    void releasePayload() {
        input = null;
    }

    public InputId id() {
        return id;
    }

    public PolicyDecision policy() {
        return policy;
    }

    public Lane lane() {
        return policy.lane();
    }

    public InputLifecycleState state() {
        return state;
    }

    public int attempts() {
        return attempts;
    }

    /**
     * The attempt the run staging this record makes at it, as its attempt key names it
     * ({@link io.meerkat.runtime.api.RunPrimitive.StagedInput#attemptKey}): 1, then one more after each
     * failed run. A run a crash cut short counts in {@link #attempts()} (toward the maximum) but not here, so
     * the run that does it again after the restart carries the key of the run it repeats.
     */
    public int attemptOfRun() {
        return attempts - cutShort;
    }

    public AbandonReason abandonReason() {
        return abandonReason;
    }

    public InputId supersededBy() {
        return supersededBy;
    }

    /** The run that last staged this input, or {@code null}. */
    public RunId stagedRun() {
        return stagedRun;
    }

    /** The record's place in its lane, lower first; set each time it is put on a lane. */
    public long sequence() {
        return sequence;
    }

    void sequence(long place) {
        sequence = place;
    }

    /** Whether a completion waiter was registered for this input (else resolving it is skipped). */
    public boolean awaited() {
        return awaited;
    }

    /** Notes that a waiter was handed out for the registry; called under the driver lock, before the input can finish. */
    public void markAwaited() {
        awaited = true;
        WAITERS_IN_FLIGHT.getAndAdd(this, 1);
    }

    /**
     * The input was settled with {@code outcome} (it is finished); called under the driver lock. Waiters
     * still on their way to the registry will take the outcome from here ({@link #waiterRegistered}).
     */
    public void settledWith(CompletionOutcome outcome) {
        if (waitersInFlight == 0) {
            return;
        }
        outcomeForLateWaiters = outcome;
        // Every waiter may have read and left between the check and the write: then nobody clears it but us.
        if (waitersInFlight == 0) {
            outcomeForLateWaiters = null;
        }
    }

    /**
     * A waiter handed out by {@link #markAwaited} is in the registry now; lock-free. Race argument: the
     * registration happens before the read below. If the read finds nothing, the settler's write (hence
     * its resolution of the registry, which follows its write) comes after the registration, so the
     * settler resolves this waiter; if it finds the outcome, the caller resolves the waiter with it (the
     * registry resolves a waiter once, so both doing it is harmless).
     *
     * @return the outcome to resolve the input's waiters with, or {@code null} when the input was not
     *         settled before the registration
     */
    public CompletionOutcome waiterRegistered() {
        CompletionOutcome outcome = outcomeForLateWaiters;
        if ((int) WAITERS_IN_FLIGHT.getAndAdd(this, -1) == 1) {
            // The last one on its way: nobody needs the outcome any more (a settler writing it after this
            // sees the count at 0 and clears it itself).
            outcomeForLateWaiters = null;
        }
        return outcome;
    }

    void stage(RunId runId, long nowMillis) {
        moveTo(InputLifecycleState.STAGED, nowMillis, null);
        stagedRun = runId;
        attempts++;
    }

    /** Undoes {@link #stage}: QUEUED again, the attempt not counted. */
    void unstage(String reason, long nowMillis) {
        moveTo(InputLifecycleState.QUEUED, nowMillis, reason);
        attempts--;
    }

    void abandon(AbandonReason reason, long nowMillis) {
        moveTo(InputLifecycleState.ABANDONED, nowMillis, reason.name());
        abandonReason = reason;
    }

    void replacedBy(InputLifecycleState terminal, InputId replacement, long nowMillis) {
        moveTo(terminal, nowMillis, "replaced by " + replacement);
        supersededBy = replacement;
    }

    void moveTo(InputLifecycleState to, long nowMillis, String reason) {
        InputLifecycleMachine.check(state, to);
        append(state, to, nowMillis, reason);
        state = to;
    }

    private void append(InputLifecycleState from, InputLifecycleState to, long nowMillis, String reason) {
        if (historySize == history.length) {
            history = Arrays.copyOf(history, historySize * 2);
        }
        int fromCode = from == null ? 0 : from.ordinal() + 1;
        history[historySize] = (nowMillis << 8) | ((long) fromCode << 4) | to.ordinal();
        if (reason != null) {
            if (reasons == null) {
                reasons = new String[history.length];
            } else if (reasons.length < history.length) {
                reasons = Arrays.copyOf(reasons, history.length);
            }
            reasons[historySize] = reason;
        }
        historySize++;
    }

    /** An immutable snapshot for callers outside the lock. */
    public InputStatus toStatus() {
        List<InputTransitionRecord> steps = new ArrayList<>(historySize);
        for (int i = 0; i < historySize; i++) {
            long packed = history[i];
            int fromCode = (int) ((packed >>> 4) & 0xF);
            steps.add(new InputTransitionRecord(
                    Instant.ofEpochMilli(packed >>> 8),
                    fromCode == 0 ? null : STATES[fromCode - 1],
                    STATES[(int) (packed & 0xF)],
                    reasons == null || i >= reasons.length ? null : reasons[i]));
        }
        return new InputStatus(id(), kind, state, lane(), attempts, abandonReason, supersededBy, steps);
    }

    /** The ids of {@code records}, in order. */
    public static List<InputId> ids(List<InputRecord> records) {
        List<InputId> ids = new ArrayList<>(records.size());
        for (InputRecord record : records) {
            ids.add(record.id());
        }
        return ids;
    }
}
