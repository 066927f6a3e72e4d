package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.RuntimeTransition;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionStatus;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.core.control.RuntimeControlMachine;
import io.meerkat.runtime.core.control.TransitionResult;
import io.meerkat.runtime.core.events.SessionEvents;
import io.meerkat.runtime.core.ingress.Admission;
import io.meerkat.runtime.core.ingress.Batch;
import io.meerkat.runtime.core.ingress.Ingress;
import io.meerkat.runtime.core.ingress.InputRecord;
import io.meerkat.runtime.core.ingress.PolicyDecision.QueueMode;
import io.meerkat.runtime.core.ingress.PolicyDecision.WakeMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.RunObserver;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.core.store.GroupCommitter;

/**
 * The ephemeral driver of one session: its control machine, its ingress and its event stream,
 * behind one lock. Every method is atomic with respect to the others; none calls an executor or
 * completes a caller's future while holding the lock (resolutions are handed back as
 * {@link Settlement}s for the caller to carry out). Each method is one locked sequence, in order:
 * ask the machine, move the inputs, tell the event stream ({@link DriverEvents}), hand back who to resolve.
 * What an executor is handed is built by {@link RunPrimitives}, what a waiter is told by {@link Outcomes}.
 *
 * <h2>Lock order</h2>
 * The driver lock is a leaf: while holding it, nothing calls a completion registry (the driver has no
 * reference to one), an executor, or a caller's callback. A registry may therefore hold its own locks
 * while calling into a session (a {@code stillPending} predicate, a waiter callback that submits): the
 * order is registry lock, then driver lock, never the reverse. A waiter is registered after the lock is
 * released ({@link #admit} hands it out, {@link #registered} closes the handshake), and every waiter
 * the driver settles is one of this session's own inputs (this incarnation's: a session id reused after
 * a removal never gets the old session's resolutions). The one thing waited for under the lock is the
 * store's commit of the change about to be made ({@link GroupCommitter#write}): its writer thread takes no
 * lock of a session, so the order is driver lock, then the committer's.
 *
 * <h2>With a store</h2>
 * Every change is written before it is made: under the lock, the change is worked out on copies
 * ({@link Ingress#preview()}, {@link RuntimeControlMachine#preview}), written as one batch, and only then
 * made; a write that fails throws {@link StoreUnavailableException} with the session unchanged.
 */
public final class SessionDriver {

    private static final Logger LOG = LoggerFactory.getLogger(SessionDriver.class);

    private static final RuntimeTransition SUBMIT_WORK = new RuntimeTransition.SubmitWork();
    private static final RuntimeTransition STOP = new RuntimeTransition.StopRequested();
    private static final RuntimeTransition DESTROY = new RuntimeTransition.DestroyRequested();
    private static final RuntimeTransition RESET = new RuntimeTransition.ResetRequested();
    private static final RuntimeTransition RETIRE = new RuntimeTransition.RetireRequested();
    private static final RuntimeTransition ATTACH = new RuntimeTransition.AttachExecutor();
    private static final RuntimeTransition RECYCLE = new RuntimeTransition.RecycleRequested();
    private static final RuntimeTransition RECYCLED = new RuntimeTransition.RecycleSucceeded();
    private static final RuntimeTransition RESUME = new RuntimeTransition.ResumeRequested();

    private final SessionId sessionId;
    private final String executorKind;
    private final RuntimeControlMachine machine = new RuntimeControlMachine(RuntimeState.IDLE);
    private final Ingress ingress;
    private final DriverEvents events;
    private final int maxBatchSize;
    private final int maxAttempts;
    private final ReentrantLock lock = new SpinningLock();
    /** Guarded by lock. */
    private boolean refuseNewRuns;
    /**
     * Where this session's changes are written before they are made, or {@code null} when it is kept in
     * memory only. Written to under the driver lock, which is held while the write waits for its group
     * commit: a session's writes are in the order of its changes. Lock order: driver lock, then the
     * committer's (its writer thread takes no driver lock).
     */
    private final GroupCommitter store;
    /** The lease this session's writes are fenced by (several nodes share the store), or {@code null}. */
    private final Fence fence;
    /** What the store holds of the session; guarded by lock, {@code null} without a store. */
    private StoredSession stored;
    /** Guarded by lock: the session was removed from the store, which must not hear of it again. */
    private boolean removedFromStore;
    /** Why a recovered session runs no executor, or {@code null}; set once, before the session is published. */
    private volatile String executorUnavailable;
    /**
     * Written under the lock when the session is destroyed (DESTROYED is final); read without it, so that
     * refusing a command to a destroyed session never waits behind the lock (a command must not block on
     * work under way, e.g. a submit whose event subscriber holds the lock).
     */
    private volatile boolean destroyed;
    /**
     * When the session reached STOPPED or DESTROYED (epoch millis), 0 while it has not; written under the lock,
     * read without it by the pruning of ended sessions ({@link #endedAtMillis()}).
     */
    private volatile long endedAtMillis;
    /**
     * The run in flight, or {@code null}: written under the lock with every transition, read without it
     * by {@link #activeRunId()} (a control command's send time is ordered against the run's start by it).
     */
    private volatile RunId activeRunId;
    /**
     * The run whose apply completed with an output, not committed yet: written by the executor's callback
     * (lock-free), read under the lock by a stop or destroy, which commit it first. Cleared under the lock.
     */
    private volatile Applied applied;

    /** A run whose apply completed, and its output. */
    private record Applied(StagedRun run, CoreApplyOutput output) {
    }
    /**
     * The machine's answer to SubmitWork, asked again after every transition: written under the lock, read
     * without it by lock-free admissions ({@link #admit}). When it turns false, the inbox is taken at once,
     * after the write (see {@link #apply}): a record pushed before that read saw it true is placed, and its
     * submitter, reading it false after the push, finds its record placed; a record pushed after the take
     * is seen by its submitter to be refused, or withdrawn by it.
     */
    private volatile boolean acceptsInput = machine.canApply(SUBMIT_WORK);

    public SessionDriver(SessionId sessionId, String executorKind, Ingress ingress, SessionEvents events,
                         int maxBatchSize, int maxAttempts) {
        this(sessionId, executorKind, ingress, events, RunObserver.NONE, maxBatchSize, maxAttempts, null, null, null);
    }

    /**
     * A driver that tells {@code observer} of its runs and writes every change of {@code stored}'s session to
     * {@code store} before it makes it.
     *
     * @param observer hears the session's runs start and end ({@link RunObserver#NONE} for nobody)
     * @param store  where to write, or {@code null} to keep the session in memory only
     * @param stored what the store holds of the session (it must be there already), or {@code null}
     *               without a store
     * @param fence  the lease every write of the session is made under, when several nodes share the store;
     *               {@code null} otherwise
     */
    public SessionDriver(SessionId sessionId, String executorKind, Ingress ingress, SessionEvents events,
                         RunObserver observer, int maxBatchSize, int maxAttempts, GroupCommitter store,
                         StoredSession stored, Fence fence) {
        if ((store == null) != (stored == null)) {
            throw new IllegalArgumentException("a stored session needs a store, and a store a stored session");
        }
        this.store = store;
        this.stored = stored;
        this.fence = fence;
        this.sessionId = sessionId;
        this.executorKind = executorKind;
        this.ingress = ingress;
        this.events = new DriverEvents(sessionId, events, observer);
        this.maxBatchSize = maxBatchSize;
        this.maxAttempts = maxAttempts;
    }

    /** The executor kind, or {@code null} for a queue-only session. */
    public String executorKind() {
        return executorKind;
    }

    public SessionId sessionId() {
        return sessionId;
    }


    /**
     * The result of admitting one input.
     *
     * @param waiter the waiter to hand to the registry ({@code null} without completion)
     */
    public record Admitted(AcceptOutcome outcome, Waiter waiter, boolean wake, Settlement displaced) {

        public CompletableFuture<CompletionOutcome> completion() {
            return waiter == null ? null : waiter.future();
        }
    }

    /**
     * A waiter {@link #admit} handed out. With {@code finished} set, its input had already finished:
     * complete it (with the registry's remembered outcome, else {@code finished}) instead of registering it.
     * Otherwise register it, then call {@link #registered} and resolve it with what that returns, if anything.
     */
    public record Waiter(InputId inputId, CompletableFuture<CompletionOutcome> future, CompletionOutcome finished,
                         InputRecord record) {
    }

    /**
     * Admits a validated input. With {@code withCompletion}, hands out a waiter to register once the lock
     * is released; an input that finishes before it is in the registry keeps its outcome here until
     * {@link #registered} passes it on, so the waiter is never stranded and gets the outcome the settler
     * gave the others.
     *
     * @throws RuntimeNotReadyException if the phase refuses input
     */
    public Admitted admit(Input input, boolean withCompletion) {
        if (store == null && acceptsInput) {
            Admitted admitted = admitWithoutLock(input, withCompletion);
            if (admitted != null) {
                return admitted;
            }
        }
        while (true) {
            CompletableFuture<Void> before;
            Reserved reserved;
            lockAndTakeInbox();
            try {
                if (!acceptsInput) {
                    throw new RuntimeNotReadyException(sessionId, machine.state(), "input");
                }
                long now = System.currentTimeMillis();
                Admission admission = ingress.prepare(input, !machine.hasActiveRun(), now);
                if (admission instanceof Admission.Deduplicated dedup && dedup.existing().inInbox()) {
                    // Its submitter is pushing it (or taking it back): asked again once it is in or out.
                    before = null;
                    reserved = null;
                } else if (admission instanceof Admission.Deduplicated dedup) {
                    InputRecord existing = dedup.existing();
                    before = existing.pendingCommit();
                    if (before == null) {
                        events.inputDeduplicated(input.id(), existing.id());
                        return new Admitted(new AcceptOutcome.Deduplicated(input.id(), existing.id()),
                                withCompletion ? waiterFor(existing) : null, false, Settlement.NONE);
                    }
                    // A duplicate of an input whose write is under way: told once that write is done (below).
                    reserved = null;
                } else {
                    Admission.Prepared prepared = (Admission.Prepared) admission;
                    if (store == null || !reservable(prepared.record())) {
                        before = store == null ? null : ingress.lastReservation();
                        if (before == null) {
                            Admitted admitted = placeAtOnce(prepared, withCompletion);
                            if (admitted != null) {
                                return admitted;
                            }
                            // A lock-free admission of its id or key got in first: asked again, as a duplicate.
                        } else {
                            // It would pass inputs reserved before it on their lanes: it waits for them first.
                            ingress.release(prepared);
                        }
                        reserved = null;
                    } else {
                        reserved = reserve(prepared, withCompletion);
                        before = null;
                    }
                }
            } finally {
                lock.unlock();
            }
            if (reserved != null) {
                return placeReserved(reserved);
            }
            if (before == null) {
                Thread.yield();
            } else {
                awaitQuietly(before);
            }
        }
    }

    /**
     * The lock-free way in ({@link Ingress#offer}) of a session kept in memory only: the input is claimed and
     * pushed onto the inbox without the driver lock, and placed on its lane by whoever takes the lock next
     * (the loop, about to look for work). No event is published here: the one of its acceptance is, when it
     * is placed, in the session's order.
     *
     * @return {@code null} when the input must be admitted under the lock (not a plain FIFO input, a
     *         duplicate, or the session stopped accepting input meanwhile)
     */
    private Admitted admitWithoutLock(Input input, boolean withCompletion) {
        // The record's policy is the idle one (Ingress.offer); whether the loop is idle is read after the push.
        InputRecord record = ingress.offer(input, System.currentTimeMillis(), withCompletion);
        if (record == null) {
            return null;
        }
        // Marked awaited by the offer (waiterFor's half that must precede the push).
        Waiter waiter = withCompletion ? new Waiter(record.id(), new CompletableFuture<>(), null, record) : null;
        // Read after the push: false means the inbox may have been taken for the last time before the push.
        if (acceptsInput ? Ingress.refused(record) : ingress.withdraw(record)) {
            if (waiter != null) {
                registered(waiter);
            }
            return null;
        }
        // Read after the push: a run in flight now takes the inbox when it ends (its end clears activeRunId
        // before its loop looks for work); with none, the loop may be idle, and is woken.
        boolean wake = record.policy().wakeMode() == WakeMode.WAKE_IF_IDLE && activeRunId == null;
        return new Admitted(new AcceptOutcome.Accepted(record.id(), InputLifecycleState.QUEUED), waiter, wake,
                Settlement.NONE);
    }

    /**
     * Takes the driver lock, then the records the inbox holds (see {@link Ingress#takeInbox}): whatever the
     * lock holder does next sees every input admitted before it, lock-free or not.
     */
    private void lockAndTakeInbox() {
        lock.lock();
        if (!ingress.inboxEmpty()) {
            try {
                takeInbox(acceptsInput);
            } catch (RuntimeException | Error e) {
                lock.unlock();
                throw e;
            }
        }
    }

    /** Places (or refuses) what the inbox holds, telling the event stream of each input placed. Call under the lock. */
    private void takeInbox(boolean accepting) {
        for (InputRecord record : ingress.takeInbox(accepting)) {
            events.inputAccepted(record, List.of());
        }
    }

    /**
     * Whether an admission writes its input without holding the lock through the commit (two phases,
     * {@link #reserve} then {@link #placeReserved}): a FIFO input waiting on its lane. One that coalesces
     * queued inputs, or is consumed on acceptance, is written and placed in one step under the lock.
     */
    private static boolean reservable(InputRecord record) {
        return record.state() == InputLifecycleState.QUEUED && record.policy().queueMode() == QueueMode.FIFO;
    }

    /** A prepared input placed in one step, its write (if any) waited for under the lock. Call under the lock. */
    private Admitted placeAtOnce(Admission.Prepared prepared, boolean withCompletion) {
        if (store != null) {
            try {
                // Persist before ack: the input is in the store before anyone is told it was accepted.
                InputRecord fresh = prepared.record();
                StoreWrites writes = writes().finished(prepared.displaced(), displacedOutcome(fresh));
                write(fresh.state().isTerminal() ? writes.finished(List.of(fresh), Outcomes.ofFinished(fresh))
                        : writes.inputs(List.of(fresh)));
            } catch (RuntimeException e) {
                ingress.release(prepared);
                throw e;
            }
        }
        Admission.Accepted accepted = ingress.place(prepared);
        if (accepted == null) {
            // A lock-free admission of the same id or key got in first: admitted again (a duplicate, now).
            ingress.release(prepared);
            return null;
        }
        InputRecord record = accepted.record();
        events.inputAccepted(record, accepted.displaced());
        return new Admitted(new AcceptOutcome.Accepted(record.id(), record.state()),
                withCompletion ? waiterFor(record) : null, accepted.wake(), displacedSettlement(accepted));
    }

    /** An input reserved in the ingress, its write submitted: what {@link #placeReserved} needs. */
    private record Reserved(InputRecord record, CompletableFuture<Void> commit, Waiter waiter) {
    }

    /**
     * Phase one of a two-phase admission: the input is reserved (it deduplicates, is counted against the
     * bounds, and a stop or reset abandons it from now on) and its write is submitted to the group committer,
     * both under the lock, so that the store commits it before any later change of this session (a stop's
     * abandonment of it included). Call under the lock.
     */
    private Reserved reserve(Admission.Prepared prepared, boolean withCompletion) {
        InputRecord record = prepared.record();
        CompletableFuture<Void> commit = record.durable() && !removedFromStore
                ? store.submit(writes().inputs(List.of(record)).batch())
                : null;
        ingress.reserve(prepared, commit);
        return new Reserved(record, commit, withCompletion ? waiterFor(record) : null);
    }

    /**
     * Phase two: waits for the reserved input's commit holding no lock (the session's reads, runs and other
     * admissions go on, and concurrent admissions share the commit), then puts it on its lane, with any input
     * reserved after it that was waiting only for it, or takes it back if the write failed.
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the write failed: the input was not accepted
     */
    private Admitted placeReserved(Reserved reserved) {
        StoreUnavailableException failure = null;
        if (reserved.commit() != null) {
            try {
                GroupCommitter.await(reserved.commit());
            } catch (StoreUnavailableException e) {
                failure = e;
            }
        }
        InputRecord record = reserved.record();
        boolean wake = false;
        lockAndTakeInbox();
        try {
            List<InputRecord> placed = failure == null ? ingress.committed(record) : ingress.unreserve(record);
            if (failure != null && writtenFinished(record)) {
                failure = null;
            }
            // Decided now, not when they were reserved: the run that was active then (a busy session wakes
            // nobody) may have ended meanwhile, its loop finding the lanes empty. A run still active now ends
            // under this lock, after the placement, and its loop goes on to the lanes.
            if (!machine.hasActiveRun()) {
                for (InputRecord ready : placed) {
                    wake |= Ingress.wakesWhenIdle(ready);
                }
            }
            if (failure == null && record.state() == InputLifecycleState.QUEUED) {
                events.inputAccepted(record, List.of());
            }
        } finally {
            lock.unlock();
        }
        if (failure != null) {
            if (reserved.waiter() != null) {
                // Never handed out: close its handshake, so that the record keeps no outcome for it.
                registered(reserved.waiter());
            }
            throw failure;
        }
        return new Admitted(new AcceptOutcome.Accepted(record.id(), InputLifecycleState.QUEUED), reserved.waiter(), wake,
                Settlement.NONE);
    }

    /**
     * Whether a reserved record whose own write failed is in the store all the same: a stop, reset, destroy or
     * retire finished it meanwhile and wrote it so, after the failed write (the committer keeps the order of
     * writes) and before changing it in memory (every change is written first). Its admission then stands: the
     * input was accepted and ended by that command, as its waiter is told; answering the write's failure would
     * leave the store holding an input nobody was told of (a submit of its key would be called its duplicate).
     * Not so if its end was not written (an end the store does not keep, the runtime closing; or the session
     * removed from the store): then the failure stands. Call under the lock, after {@link Ingress#unreserve}.
     */
    private boolean writtenFinished(InputRecord record) {
        return record.state().isTerminal() && !record.endedUnwritten() && !removedFromStore;
    }

    /** Waits for another admission's commit, whatever its outcome (the caller then tries again). */
    private static void awaitQuietly(CompletableFuture<Void> commit) {
        try {
            GroupCommitter.await(commit);
        } catch (StoreUnavailableException e) {
            LOG.debug("an input this admission waited for was not written; admitting again", e);
        }
    }

    /**
     * A waiter of an input the session holds, handed out as {@link #admit} hands one out (register it, then
     * {@link #registered}); {@code null} if the session does not know the input.
     */
    public Waiter waiterOf(InputId inputId) {
        lockAndTakeInbox();
        try {
            InputRecord record = ingress.find(inputId);
            return record == null ? null : waiterFor(record);
        } finally {
            lock.unlock();
        }
    }

    private Waiter waiterFor(InputRecord record) {
        CompletableFuture<CompletionOutcome> future = new CompletableFuture<>();
        if (record.state().isTerminal()) {
            return new Waiter(record.id(), future, Outcomes.ofFinished(record), record);
        }
        record.markAwaited();
        return new Waiter(record.id(), future, null, record);
    }

    /**
     * Closes the handshake of a waiter {@link #admit} handed out, once it is in the registry; takes no lock
     * (the record's handshake, {@link InputRecord#waiterRegistered}, is lock-free), so a submit takes the
     * driver lock once.
     *
     * @return the outcome its input was settled with before the waiter was registered (its settler may
     *         have found no waiter to resolve): resolve the input with it; {@code null} when the input was
     *         not settled by then (not finished yet, or requeued), so its next settler will find the waiter
     */
    public CompletionOutcome registered(Waiter waiter) {
        return waiter.record().waiterRegistered();
    }

    /**
     * The settlement of {@code records}: their awaited ids and {@code outcome}. Records whose waiter is
     * still on its way to the registry keep the outcome for {@link #registered}. Call under the lock.
     */
    private Settlement settle(List<InputRecord> records, CompletionOutcome outcome) {
        for (InputRecord record : records) {
            record.settledWith(outcome);
        }
        List<InputId> awaited = awaitedIds(records);
        return awaited.isEmpty() ? Settlement.NONE : new Settlement(awaited, outcome);
    }

    private Settlement displacedSettlement(Admission.Accepted accepted) {
        if (accepted.displaced().isEmpty()) {
            return Settlement.NONE;
        }
        return settle(accepted.displaced(), displacedOutcome(accepted.record()));
    }

    private static CompletionOutcome displacedOutcome(InputRecord replacement) {
        return new CompletionOutcome.Abandoned("replaced by " + replacement.id());
    }

    /** IDLE → ATTACHED: a runtime loop now owns this session's executor. */
    public void attachExecutor() {
        lockAndTakeInbox();
        try {
            apply(ATTACH);
        } finally {
            lock.unlock();
        }
    }

    /** From now on no run begins: a stop is on its way to the runtime loop. */
    public void refuseNewRuns() {
        lockAndTakeInbox();
        try {
            refuseNewRuns = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Begins the next run if the phase lets the queue be processed and a batch is waiting: takes
     * the batch off its lane, applies BeginRun and stages the batch, all in one step. With a store, the
     * staged inputs (their attempts counted) are committed before this returns, so before the executor runs
     * them: a run that kills the process counts as an attempt at recovery ({@link Ingress#restore}).
     *
     * @return the run, or {@code null} when there is nothing to start
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the store refused the staging: it is
     *         undone (the inputs are back at the front of their lanes, no attempt counted), no run began
     */
    public StagedRun beginNextRun() {
        Batch batch;
        RunId runId;
        RunPrimitive primitive;
        CompletableFuture<Void> stagingCommitted = null;
        lockAndTakeInbox();
        try {
            if (refuseNewRuns || !machine.state().canProcessQueue() || machine.hasActiveRun()) {
                return null;
            }
            batch = ingress.drainNextBatch(maxBatchSize);
            if (batch == null) {
                return null;
            }
            runId = RunId.random();
            apply(new RuntimeTransition.BeginRun(runId));
            ingress.stage(batch, runId, System.currentTimeMillis());
            // Built under the lock: a stop or destroy may finish the staged inputs as soon as it is
            // released, and a finished record lets go of its content (InputRecord.input() is then null).
            primitive = RunPrimitives.of(batch);
            events.runStarted(runId, batch.records());
            if (store != null && !removedFromStore) {
                // Only the inputs: the store keeps a session in a run as in its phase before the run. Submitted
                // under the lock, so it commits before any later change of this session (a stop abandoning them).
                StoreWrites writes = writes().inputs(batch.records());
                stagingCommitted = writes.isEmpty() ? null : store.submit(writes.batch());
            }
        } finally {
            lock.unlock();
        }
        StagedRun run = new StagedRun(runId, batch, primitive);
        if (stagingCommitted != null) {
            // Waited for without the lock, as a run boundary is: admissions go on and share the commit.
            try {
                GroupCommitter.await(stagingCommitted);
            } catch (StoreUnavailableException e) {
                unstage(run, e);
                throw e;
            }
        }
        return run;
    }

    /** Undoes a run whose staging the store refused (see {@link #beginNextRun}); nothing is written. */
    private void unstage(StagedRun run, StoreUnavailableException cause) {
        lockAndTakeInbox();
        try {
            // A stop or destroy may have ended the run meanwhile (its write came after the refused one).
            if (!isActive(run.runId())) {
                return;
            }
            String error = "the store refused its start: " + cause.getMessage();
            apply(new RuntimeTransition.RunFailed(run.runId()));
            ingress.unstage(run.batch(), "run not begun: " + error, System.currentTimeMillis());
            events.runFailed(run.runId(), run.batch().records(), error, true);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Commits a run the executor finished: its staged inputs are consumed and their waiters get the
     * run's outcome. A run that is no longer active (the session was stopped meanwhile) commits
     * nothing.
     */
    public Settlement completeRun(StagedRun run, CoreApplyOutput output) {
        long now = System.currentTimeMillis();
        if (store != null && !writeBoundaryUnlocked(run, output, now)) {
            return Settlement.NONE;
        }
        lockAndTakeInbox();
        try {
            if (!isActive(run.runId())) {
                // A stop or destroy committed it meanwhile (with the same rows), or ended it.
                return Settlement.NONE;
            }
            return commit(run, output, now);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes a run boundary without holding the lock through the commit, so that the session's admissions
     * go on (and share the group commit) meanwhile. Safe because nothing but this run's own settling, or a
     * stop or destroy committing it first (with the same rows), changes its staged inputs; the session's
     * phase, which those may change, is not part of these rows. When the boundary would change the phase the
     * store keeps (never for a plain run end: RUNNING and ATTACHED are both kept as IDLE), the whole
     * boundary is written under the lock instead.
     *
     * @return {@code false} if the run is no longer active: nothing to commit
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the write failed: nothing changed
     */
    private boolean writeBoundaryUnlocked(StagedRun run, CoreApplyOutput output, long now) {
        CompletableFuture<Void> committed;
        lockAndTakeInbox();
        try {
            if (!isActive(run.runId())) {
                return false;
            }
            if (removedFromStore || storedAfter(new RuntimeTransition.RunCompleted(run.runId())) != null) {
                writeCommit(run, output, now);
                return true;
            }
            StoreWrites writes = boundaryWrites(run, output, now);
            if (writes.isEmpty()) {
                return true;
            }
            // Submitted under the lock: the store commits it before any batch of this session's later changes.
            committed = store.submit(writes.batch());
        } finally {
            lock.unlock();
        }
        GroupCommitter.await(committed);
        return true;
    }

    /**
     * Records that {@code run}'s apply completed with {@code output}; lock-free (called by the executor's
     * completion). From now on a stop or destroy commits the run before abandoning the rest: the work was
     * done, as for a cancel that arrives after apply completed.
     */
    public void applied(StagedRun run, CoreApplyOutput output) {
        applied = new Applied(run, output);
    }

    /** Commits the active run if its apply already completed ({@link #applied}). Call under the lock. */
    private Settlement commitIfApplied() {
        Applied done = applied;
        if (done == null || !isActive(done.run().runId())) {
            return Settlement.NONE;
        }
        long now = System.currentTimeMillis();
        writeCommit(done.run(), done.output(), now);
        return commit(done.run(), done.output(), now);
    }

    /**
     * Writes the run boundary {@link #commit} will make, in one batch: the receipt, the consumed inputs
     * and their outcome, the session's phase. Call under the lock; throws if the write fails, nothing
     * changed then.
     */
    private void writeCommit(StagedRun run, CoreApplyOutput output, long now) {
        if (store == null) {
            return;
        }
        write(boundaryWrites(run, output, now).session(storedAfter(new RuntimeTransition.RunCompleted(run.runId()))));
    }

    /** The receipt, the consumed inputs and their outcome of a run boundary, without the session. Call under the lock. */
    private StoreWrites boundaryWrites(StagedRun run, CoreApplyOutput output, long now) {
        List<InputRecord> consumed = ingress.preview().consume(run.batch(), now);
        StoreWrites writes = writes().finished(consumed, Outcomes.of(output));
        if (consumed.stream().anyMatch(InputRecord::durable)) {
            writes.receipt(output.receipt());
        }
        return writes;
    }

    /** Consumes the active run's inputs; {@link #writeCommit} first. Call under the lock. */
    private Settlement commit(StagedRun run, CoreApplyOutput output, long now) {
        applied = null;
        events.boundaryApplied(run.runId(), output.receipt());
        apply(new RuntimeTransition.RunCompleted(run.runId()));
        List<InputRecord> consumed = ingress.consume(run.batch(), now);
        CompletionOutcome outcome = Outcomes.of(output);
        events.runCompleted(run.runId(), consumed, outcome);
        return settle(consumed, outcome);
    }

    /**
     * Rolls back a failed run: its inputs return to the front of their lanes to be retried, except those
     * that have taken part in {@code maxAttempts} runs, or all of them when the failure is
     * {@code permanent}: those are abandoned, and only their waiters are resolved
     * ({@code Abandoned("apply failed: …")}). The waiter of a requeued input learns its final outcome later.
     */
    public RolledBack failRun(StagedRun run, String error, boolean permanent) {
        lockAndTakeInbox();
        try {
            if (!isActive(run.runId())) {
                return RolledBack.NOTHING;
            }
            long now = System.currentTimeMillis();
            RuntimeTransition failed = new RuntimeTransition.RunFailed(run.runId());
            CompletionOutcome failure = new CompletionOutcome.Abandoned("apply failed: " + error);
            if (store != null) {
                List<InputRecord> changed = permanent
                        ? ingress.preview().abandonStaged(run.batch(), AbandonReason.FAILED_PERMANENTLY, now)
                        : ingress.preview().rollback(run.batch(), error, now, maxAttempts);
                StoreWrites writes = writes().session(storedAfter(failed));
                for (InputRecord record : changed) {
                    if (record.state().isTerminal()) {
                        writes.finished(List.of(record), failure);
                    } else {
                        writes.inputs(List.of(record));
                    }
                }
                write(writes);
            }
            applied = null;
            apply(failed);
            List<InputRecord> abandoned = permanent
                    ? ingress.abandonStaged(run.batch(), AbandonReason.FAILED_PERMANENTLY, now)
                    : ingress.rollback(run.batch(), error, now, maxAttempts);
            int failures = 0;
            for (InputRecord record : run.batch().records()) {
                if (record.state() == InputLifecycleState.QUEUED) {
                    failures = Math.max(failures, record.attempts());
                }
            }
            events.runFailed(run.runId(), run.batch().records(), error, failures > 0);
            return new RolledBack(settle(abandoned, failure), failures);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A failed run, rolled back.
     *
     * @param settlement the waiters of the inputs abandoned for good
     * @param failures   the failed runs of the most-tried input sent back to be retried; 0 if none was
     */
    public record RolledBack(Settlement settlement, int failures) {

        static final RolledBack NOTHING = new RolledBack(Settlement.NONE, 0);
    }

    /**
     * Ends a cancelled run: its inputs are abandoned, their waiters told so; {@code CANCELLED}, or
     * {@code TIMED_OUT} when the run was cancelled for going on past {@code timedOutAfter}.
     *
     * @param timedOutAfter the run duration limit it exceeded, or {@code null} for a cancel sent by a caller
     */
    public Settlement cancelRun(StagedRun run, String reason, Duration timedOutAfter) {
        lockAndTakeInbox();
        try {
            if (!isActive(run.runId())) {
                return Settlement.NONE;
            }
            boolean timedOut = timedOutAfter != null;
            AbandonReason abandonReason = timedOut ? AbandonReason.TIMED_OUT : AbandonReason.CANCELLED;
            String why = (timedOut ? "timed out: " : "cancelled: ") + reason;
            CompletionOutcome outcome = new CompletionOutcome.Abandoned(why);
            RuntimeTransition cancelled = new RuntimeTransition.RunCancelled(run.runId());
            long now = System.currentTimeMillis();
            if (store != null) {
                write(writes().session(storedAfter(cancelled))
                        .finished(ingress.preview().abandonStaged(run.batch(), abandonReason, now), outcome));
            }
            applied = null;
            apply(cancelled);
            List<InputRecord> abandoned = ingress.abandonStaged(run.batch(), abandonReason, now);
            events.runCancelled(run.runId(), abandoned, why, reason, timedOutAfter);
            return settle(abandoned, outcome);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes an executor's progress report about {@code runId}; a report about a run that is not
     * the current one is dropped. Costs a volatile read when nobody listens.
     */
    public void reportProgress(RunId runId, String message) {
        if (!events.enabled()) {
            return;
        }
        lockAndTakeInbox();
        try {
            // Checked under the lock that also ends runs: a report never follows its run's end event.
            if (isActive(runId)) {
                events.runProgress(runId, message);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes a piece of the output of {@code runId}, as {@link #reportProgress} does a progress report:
     * dropped when the run is not the current one or {@code text} is empty.
     */
    public void reportOutputDelta(RunId runId, String text) {
        if (!events.enabled() || text.isEmpty()) {
            return;
        }
        lockAndTakeInbox();
        try {
            // Checked under the lock that also ends runs: a delta never follows its run's end event.
            if (isActive(runId)) {
                events.outputDelta(runId, text);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The run in flight now, or {@code null}; lock-free. A run that begins after this read is not the one
     * returned: it begins under the lock, after writing the field this reads.
     */
    public RunId activeRunId() {
        return activeRunId;
    }

    private boolean isActive(RunId runId) {
        return runId != null && runId.equals(machine.currentRunIdOrNull());
    }

    /**
     * Stops the session: STOPPED, every non-terminal input abandoned ({@link AbandonReason#STOPPED}),
     * both lanes emptied. A run whose apply already completed ({@link #applied}) is committed first.
     * Idempotent: a session already STOPPED or DESTROYED is left as it is.
     *
     * @param durable whether a store, if the session has one, keeps the stop (a stop command); else the
     *                store keeps the session as it was, to be recovered by the next runtime that opens it (the
     *                runtime closing, a plugin withdrawn, a loop that ended)
     * @return the waiters of the inputs this call abandoned, to resolve {@code RuntimeTerminated(reason)}
     *         (none if the session had already ended)
     * @throws io.meerkat.runtime.api.StoreUnavailableException if a durable stop could not be written; the
     *         session goes on as it was (but for a run it committed first, written on its own)
     */
    public Settlement stop(String reason, boolean durable) {
        lockAndTakeInbox();
        try {
            if (machine.state().isTerminal()) {
                return Settlement.NONE;
            }
            CompletionOutcome outcome = new CompletionOutcome.RuntimeTerminated(reason);
            Settlement committed = durable ? writeEnd(STOP, AbandonReason.STOPPED, outcome) : commitIfWritten();
            if (!durable) {
                ingress.endReservedUnwritten();
            }
            List<InputRecord> abandoned = abandonAllAfter(STOP, AbandonReason.STOPPED);
            events.topology(RuntimeEvent.TopologyChange.STOPPED);
            return committed.and(settle(abandoned, outcome));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies {@code Resume}: leaves RECOVERING; a no-op in any other live phase.
     *
     * @throws io.meerkat.runtime.api.IllegalTransitionException after a stop or destroy: the session never runs again
     */
    public void resume() {
        lockAndTakeInbox();
        try {
            if (machine.canApply(RESUME)) {
                apply(RESUME);
            } else if (machine.state().isTerminal()) {
                throw new IllegalTransitionException(machine.state(), RESUME, "the session is stopped for good");
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the session was destroyed; reads no lock. */
    public boolean isDestroyed() {
        return destroyed;
    }

    /**
     * Destroys the session: DESTROYED, every non-terminal input abandoned; a run whose apply already
     * completed is committed first.
     *
     * @return the report and the abandoned inputs whose waiters must be terminated
     * @throws io.meerkat.runtime.api.IllegalTransitionException if it is already destroyed
     */
    public Settled destroy(String reason, boolean durable) {
        lockAndTakeInbox();
        try {
            CompletionOutcome outcome = new CompletionOutcome.RuntimeTerminated(reason);
            Settlement committed = durable ? writeEnd(DESTROY, AbandonReason.DESTROYED, outcome)
                    : machine.canApply(DESTROY) ? commitIfWritten() : Settlement.NONE;
            if (!durable) {
                ingress.endReservedUnwritten();
            }
            List<InputRecord> abandoned = abandonAllAfter(DESTROY, AbandonReason.DESTROYED);
            destroyed = true;
            events.topology(RuntimeEvent.TopologyChange.DESTROYED);
            return new Settled(new LifecycleReport(machine.state(), abandoned.size(), 0, 0),
                    committed.and(settle(abandoned, outcome)));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Resets the session to IDLE (re-attached when it has a loop), abandoning every non-terminal input.
     *
     * @return the report and the abandoned inputs whose waiters must be terminated
     * @throws io.meerkat.runtime.api.IllegalTransitionException while a run is active (RUNNING, or RETIRED
     *         with a run in flight: the executor would go on applying a run nobody tracks) or after a stop
     */
    public Settled reset(boolean hasLoop) {
        lockAndTakeInbox();
        try {
            CompletionOutcome outcome = new CompletionOutcome.RuntimeTerminated("runtime reset");
            writeAbandonAll(RESET, AbandonReason.RESET, outcome);
            List<InputRecord> abandoned = abandonAllAfter(RESET, AbandonReason.RESET);
            if (hasLoop) {
                apply(ATTACH);
            }
            events.topology(RuntimeEvent.TopologyChange.RESET);
            return new Settled(new LifecycleReport(machine.state(), abandoned.size(), 0, 0),
                    settle(abandoned, outcome));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Retires the session: it refuses new input and, with a loop, drains what it holds. Without a
     * loop nothing would ever drain, so every non-terminal input is abandoned instead; {@code hasLoop} is
     * also true for a recovered session whose executor is missing: its inputs wait for a runtime that has it.
     *
     * @throws io.meerkat.runtime.api.IllegalTransitionException if the phase cannot retire
     */
    public Settled retire(boolean hasLoop) {
        lockAndTakeInbox();
        try {
            CompletionOutcome outcome = new CompletionOutcome.RuntimeTerminated("retired without runtime loop");
            if (store != null) {
                StoreWrites writes = writes().session(storedAfter(RETIRE));
                if (!hasLoop) {
                    writes.finished(ingress.preview().abandonAll(AbandonReason.RETIRED, System.currentTimeMillis()),
                            outcome);
                }
                write(writes);
            }
            apply(RETIRE);
            events.topology(RuntimeEvent.TopologyChange.RETIRED);
            if (hasLoop) {
                return new Settled(new LifecycleReport(machine.state(), 0, ingress.activeCount(), 0), Settlement.NONE);
            }
            List<InputRecord> abandoned = abandonActive(AbandonReason.RETIRED);
            return new Settled(new LifecycleReport(machine.state(), abandoned.size(), 0, 0),
                    settle(abandoned, outcome));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Recycles the session: RECOVERING, interrupted inputs back on their lanes, then IDLE
     * (re-attached when it has a loop). Queued work is kept.
     *
     * @throws io.meerkat.runtime.api.IllegalTransitionException while a run is active or after a stop
     */
    public LifecycleReport recycle(boolean hasLoop) {
        lockAndTakeInbox();
        try {
            machine.preview(RECYCLE);
            long now = System.currentTimeMillis();
            if (store != null) {
                write(writes().session(stored.withState(RuntimeState.IDLE))
                        .inputs(ingress.preview().requeueInterrupted(now)));
            }
            apply(RECYCLE);
            int requeued = ingress.requeueInterrupted(now);
            apply(RECYCLED);
            if (hasLoop) {
                apply(ATTACH);
            }
            events.topology(RuntimeEvent.TopologyChange.RECYCLED);
            return new LifecycleReport(machine.state(), 0, ingress.activeCount(), requeued);
        } finally {
            lock.unlock();
        }
    }

    /** A lifecycle report with the waiters it leaves to resolve. */
    public record Settled(LifecycleReport report, Settlement settlement) {
    }

    /**
     * Writes what {@link #abandonAllAfter} will do: the session's new phase, every unfinished input
     * abandoned with {@code outcome}. Nothing without a store. Call under the lock.
     *
     * @throws io.meerkat.runtime.api.IllegalTransitionException if the phase refuses the transition (nothing is written)
     */
    private void writeAbandonAll(RuntimeTransition transition, AbandonReason reason, CompletionOutcome outcome) {
        if (store == null) {
            machine.preview(transition);
            return;
        }
        write(writes().session(storedAfter(transition))
                .finished(ingress.preview().abandonAll(reason, System.currentTimeMillis()), outcome));
    }

    /**
     * For a stop or destroy command: writes, in one batch, the boundary of a run whose apply completed (it is
     * committed first, as the work was done), every other unfinished input abandoned with {@code outcome},
     * and the session's new phase; then commits that run in memory. All or nothing: a refused write leaves the
     * session as it was, the run's waiters included (its loop writes the boundary again later). Call under
     * the lock.
     *
     * @return the committed run's waiters, to resolve
     * @throws io.meerkat.runtime.api.IllegalTransitionException if the phase refuses {@code end} (nothing is written)
     */
    private Settlement writeEnd(RuntimeTransition end, AbandonReason reason, CompletionOutcome outcome) {
        machine.preview(end);
        Applied done = applied;
        if (done != null && !isActive(done.run().runId())) {
            done = null;
        }
        long now = System.currentTimeMillis();
        if (store != null) {
            StoreWrites writes = done == null ? writes() : boundaryWrites(done.run(), done.output(), now);
            List<InputId> committing = done == null ? List.of() : InputRecord.ids(done.run().batch().records());
            List<InputRecord> abandoned = new ArrayList<>();
            for (InputRecord record : ingress.preview().abandonAll(reason, now)) {
                if (!committing.contains(record.id())) {
                    abandoned.add(record);
                }
            }
            write(writes.finished(abandoned, outcome).session(storedAfter(end)));
        }
        return done == null ? Settlement.NONE : commit(done.run(), done.output(), now);
    }

    /**
     * {@link #commitIfApplied} for an end the store does not keep (the runtime closing): a run the executor
     * finished is still committed, written first like any run boundary, so that no waiter is told of a
     * result a restart would undo; if the store refuses, the run is left to its inputs' abandonment, and
     * the next runtime to open the store runs them again.
     */
    private Settlement commitIfWritten() {
        try {
            return commitIfApplied();
        } catch (StoreUnavailableException e) {
            LOG.warn("session {}: the store refused the end of the last run; its inputs run again after a restart",
                    sessionId, e);
            return Settlement.NONE;
        }
    }

    private StoreWrites writes() {
        return new StoreWrites(sessionId, fence);
    }

    /**
     * Writes {@code writes} and waits for the commit, holding the lock; then remembers the session as
     * written. Call under the lock, before changing anything.
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the write failed: nothing was written
     */
    private void write(StoreWrites writes) {
        if (writes.isEmpty() || removedFromStore) {
            return;
        }
        store.write(writes.batch());
        StoredSession written = writes.writtenSession();
        if (written != null) {
            stored = written;
        }
    }

    /**
     * The session as the store will keep it once {@code transition} is made, or {@code null} when the store
     * keeps it as it is. A run in flight is not kept: RUNNING and ATTACHED are kept as IDLE (the phase a
     * recovered session starts from), as is RECOVERING.
     *
     * @throws io.meerkat.runtime.api.IllegalTransitionException if the phase refuses {@code transition}
     */
    private StoredSession storedAfter(RuntimeTransition transition) {
        RuntimeState kept = storedPhase(machine.preview(transition));
        return kept == stored.state() ? null : stored.withState(kept);
    }

    private static RuntimeState storedPhase(RuntimeState phase) {
        return switch (phase) {
            case INITIALIZING, IDLE, ATTACHED, RUNNING, RECOVERING -> RuntimeState.IDLE;
            case RETIRED -> RuntimeState.RETIRED;
            case STOPPED -> RuntimeState.STOPPED;
            case DESTROYED -> RuntimeState.DESTROYED;
        };
    }

    private List<InputRecord> abandonAllAfter(RuntimeTransition transition, AbandonReason reason) {
        apply(transition);
        return abandonActive(reason);
    }

    private List<InputRecord> abandonActive(AbandonReason reason) {
        List<InputRecord> abandoned = ingress.abandonAll(reason, System.currentTimeMillis());
        events.abandoned(abandoned, reason);
        return abandoned;
    }

    /**
     * Whether {@link #restore} asks the store about this input: an input applied by a run (APPLIED or
     * APPLIED_PENDING_CONSUMPTION) is consumed if that run's receipt was stored, queued again if not.
     */
    public static boolean readsReceiptOnRestore(StoredInput input) {
        InputLifecycleState was = input.status().state();
        return input.stagedRun() != null
                && (was == InputLifecycleState.APPLIED || was == InputLifecycleState.APPLIED_PENDING_CONSUMPTION);
    }

    /**
     * Takes up the inputs a store kept for this session, by the recovery rules of
     * {@link Ingress#restore}, in the order given (the store's sequence order), and writes back in one batch
     * every input those rules changed. Call before the session is published.
     *
     * @param receiptStored whether the store holds the receipt of a run
     * @return how many inputs were taken up
     */
    public int restore(List<StoredInput> inputs, java.util.function.Predicate<RunId> receiptStored) {
        lockAndTakeInbox();
        try {
            long now = System.currentTimeMillis();
            List<InputRecord> changed = new ArrayList<>();
            for (StoredInput input : inputs) {
                boolean receipt = readsReceiptOnRestore(input) && receiptStored.test(input.stagedRun());
                InputRecord record;
                // A finished input past the retention is forgotten at once: its row is left as it was.
                if (ingress.restore(input, receipt, now, maxAttempts) && (record = ingress.find(input.inputId())) != null) {
                    changed.add(record);
                }
            }
            if (store != null && !changed.isEmpty()) {
                StoreWrites writes = writes();
                for (InputRecord record : changed) {
                    // Abandoned by the rules (its attempts used up by crashes): its outcome is answered from now on.
                    if (record.state() == InputLifecycleState.ABANDONED) {
                        writes.finished(List.of(record), Outcomes.ofFinished(record));
                    } else {
                        writes.inputs(List.of(record));
                    }
                }
                write(writes);
            }
            return inputs.size();
        } finally {
            lock.unlock();
        }
    }

    /** When the session was stopped or destroyed (epoch millis), 0 while it has not ended; lock-free. */
    public long endedAtMillis() {
        return endedAtMillis;
    }

    /**
     * Sets when a session recovered ended: the store keeps no such time, so the recovery gives the newest it
     * knows of (see {@code LocalMeerkatRuntime.recover}) rather than the recovery's, which a runtime that
     * restarts more often than the retention age would otherwise push back for ever.
     */
    public void endedAt(long millis) {
        lockAndTakeInbox();
        try {
            if (machine.state().isTerminal()) {
                endedAtMillis = millis;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Marks a recovered session as running no executor, and why (see {@link SessionStatus#executorUnavailable()}). */
    public void executorUnavailable(String reason) {
        executorUnavailable = reason;
    }

    /** Whether this is a recovered session running no executor (see {@link #executorUnavailable(String)}). */
    public boolean isExecutorUnavailable() {
        return executorUnavailable != null;
    }

    /**
     * Removes the session from the store, holding the lock so that no write of it can follow; nothing of it
     * is written afterwards. A no-op without a store.
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the store refused: the session is still
     *         kept there, as before
     */
    public void removeFromStore() {
        lockAndTakeInbox();
        try {
            if (store != null && !removedFromStore) {
                store.write(new StoreBatch(List.of(new StoreChange.RemoveSession(sessionId)), fence));
                removedFromStore = true;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the event stream once the session can change no more. */
    public void closeEvents() {
        lockAndTakeInbox();
        try {
            events.close();
        } finally {
            lock.unlock();
        }
    }

    public RuntimeState state() {
        lockAndTakeInbox();
        try {
            return machine.state();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the input is known and not finished. */
    public boolean isInputActive(InputId inputId) {
        lockAndTakeInbox();
        try {
            return ingress.isActive(inputId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the session still knows the input: active, or finished and retained. A waiter of a known
     * input is resolved by whoever finishes it (a finished input's waiters are being resolved right
     * after the driver lock is released), never orphaned by a recycle, which keeps the ledger.
     */
    public boolean isInputKnown(InputId inputId) {
        lockAndTakeInbox();
        try {
            return ingress.find(inputId) != null;
        } finally {
            lock.unlock();
        }
    }

    public InputStatus inputStatus(InputId inputId) {
        lockAndTakeInbox();
        try {
            InputRecord record = ingress.find(inputId);
            return record == null ? null : record.toStatus();
        } finally {
            lock.unlock();
        }
    }

    public List<InputId> activeInputIds() {
        lockAndTakeInbox();
        try {
            return InputRecord.ids(ingress.activeRecords());
        } finally {
            lock.unlock();
        }
    }

    public SessionStatus status() {
        lockAndTakeInbox();
        try {
            return new SessionStatus(sessionId, executorKind, machine.state(), ingress.depth(Lane.QUEUE),
                    ingress.depth(Lane.STEER), InputRecord.ids(ingress.activeRecords()), machine.currentRunIdOrNull(),
                    executorUnavailable);
        } finally {
            lock.unlock();
        }
    }

    private void apply(RuntimeTransition transition) {
        TransitionResult result = machine.apply(transition);
        if (endedAtMillis == 0 && result.to().isTerminal()) {
            endedAtMillis = System.currentTimeMillis();
        }
        activeRunId = machine.currentRunIdOrNull();
        boolean accepts = machine.canApply(SUBMIT_WORK);
        if (accepts != acceptsInput) {
            acceptsInput = accepts;
            if (!accepts) {
                // After the write (see acceptsInput): what was pushed before it was accepted, and is placed now,
                // before the transition's own effect (a stop's abandonment) applies to the session's inputs.
                takeInbox(true);
            }
        }
        events.stateChanged(result.from(), result.to(), transition);
    }

    private static List<InputId> awaitedIds(List<InputRecord> records) {
        List<InputId> ids = null;
        for (InputRecord record : records) {
            if (record.awaited()) {
                if (ids == null) {
                    ids = new ArrayList<>(records.size());
                }
                ids.add(record.id());
            }
        }
        return ids == null ? List.of() : ids;
    }
}
