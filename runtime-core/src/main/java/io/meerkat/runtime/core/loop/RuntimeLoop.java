package io.meerkat.runtime.core.loop;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.PermanentFailureException;
import io.meerkat.runtime.core.driver.SessionDriver;
import io.meerkat.runtime.core.driver.Settlement;
import io.meerkat.runtime.core.driver.StagedRun;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime loop of one session: the sole owner of its executor. Ordinary work (woken by
 * {@link #wake()}) runs one unit at a time; out-of-band control commands ({@link #sendControl}) are
 * drained and delivered before every unit, and delivered at once to a run in flight. A cancel ends only
 * the run that was in flight when it was sent ({@link SessionDriver#activeRunId()} read at send time); one
 * sent while no run was in flight is still delivered, before the next run's apply, and cancels nothing.
 *
 * <h2>Scheduling</h2>
 * Mailbox style: the loop holds no thread while idle. A signal (wake, control, a finished apply)
 * schedules {@link #run()} on the shared scheduler unless it is already scheduled; one flag makes
 * the passes mutually exclusive, so every field below marked <em>loop-confined</em> is touched by one
 * pass at a time, each pass seeing the previous one's writes (the flag's release/acquire).
 *
 * <h2>Failed runs and time limits</h2>
 * A failed run's inputs go back to their lanes and no run begins until the {@link LoopSettings#retryPolicy()
 * retry backoff} has passed ({@link #backoff}); control commands are served meanwhile. A run still in
 * flight after {@link LoopSettings#maxRunDuration()} is cancelled through the control channel, as a
 * {@code CancelCurrentRun} sent at that moment would be, and its inputs are abandoned TIMED_OUT. Both
 * timers run on the {@link LoopSettings#delays() delay scheduler} and only signal the loop.
 *
 * <h2>A store that refuses a write</h2>
 * When the session has a store and the write of a run's end fails ({@link StoreUnavailableException}),
 * nothing changed: the run stays the session's active run, settled but not committed, and the loop tries
 * again after the same backoff a failed run gets, growing with each failure in a row. A refused write of a
 * run's start (its staged inputs, written before the executor runs them) undoes the start and the loop begins
 * the run again after that backoff. Control commands
 * are served meanwhile. A stop command is written before it is made, like every lifecycle command: while
 * the store refuses it, the session is not stopped (and begins no run) and the loop writes it again after a
 * pause; the loop ends once it is written, or when the runtime closes (then the store keeps the session as
 * it was, for the next runtime).
 *
 * <h2>Ending</h2>
 * A {@link RunControlCommand.StopRuntimeExecutor} marks the session STOPPED (unless already STOPPED
 * or DESTROYED), resolves the waiters of the inputs that abandons {@code RuntimeTerminated("runtime
 * stopped")} and ends the loop; so does {@link #closeControlChannel()}, and so does a scheduler that refuses a pass (with
 * {@code RejectedExecutionException}: the refused caller then runs the loop's last passes itself,
 * and waiters get {@code RuntimeTerminated("scheduler refused the runtime loop")}). Whatever ends it,
 * the waiters of every input still unfinished are
 * resolved {@code RuntimeTerminated("runtime loop exited")}, and the executor is closed once no apply
 * is in flight. The loop resolves only its own session's inputs, never every waiter filed under the
 * session id: once the session is removed, the id may belong to a new session before this loop ends.
 * It calls the registry holding no driver lock (lock order: see {@link SessionDriver}). Every exit path completes {@link #termination()} and closes the session's event stream,
 * whatever the executor throws from any call, {@link Error}s included (a {@code NoClassDefFoundError}
 * once its plugin is unloaded): such a throw is logged, never propagated.
 */
public final class RuntimeLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeLoop.class);
    private static final VarHandle SCHEDULED;

    static {
        try {
            SCHEDULED = MethodHandles.lookup().findVarHandle(RuntimeLoop.class, "scheduled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SessionId sessionId;
    private final SessionDriver driver;
    private final CompletionRegistry completions;
    /** Loop-confined; dropped once closed, so an unloaded plugin's classes can be collected. */
    private CoreExecutor executor;
    private final Executor scheduler;
    private final LoopSettings settings;

    private final ConcurrentLinkedQueue<Sent> controls = new ConcurrentLinkedQueue<>();
    /**
     * Makes "is a stop queued?" and the enqueue one step, so that nothing is ever queued behind a stop. The
     * queue's own monitor (the queue never locks it): one object less per session.
     */
    private final Object enqueueGate = controls;
    /** Guarded by enqueueGate: a stop is on the control channel (or was delivered); it is the last command. */
    private boolean stopQueued;
    /** A pass is scheduled or running; set by compare-and-set ({@link #SCHEDULED}: a field, not an object, per session). */
    private volatile boolean scheduled;
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    private volatile boolean wakePending;
    private volatile boolean controlChannelClosed;
    /**
     * Whether the pass running now is yielding a {@link ForkJoinPool} worker to tasks waiting in its pool. Accessed
     * only by the thread running the pass (the {@code scheduled} flag admits one at a time).
     */
    private boolean yieldOnWorker;
    /** The scheduler refused a pass: the loop ends, running its last passes on the refused caller. */
    private volatile boolean schedulerRefused;
    private volatile boolean exited;

    /** Loop-confined: the run whose apply stage has not been settled yet. */
    private InFlightRun inFlight;
    /**
     * Loop-confined (volatile only for {@link #hasPendingSignal}): the loop has ended and waits only for
     * the run in flight before closing; commands sent meanwhile, unless the loop ended at a stop (which is
     * the last command), are still delivered.
     */
    private volatile boolean draining;

    /**
     * Loop-confined: the end of the retry backoff under way, or {@code null}. While it is set, no run
     * begins; control commands are still served.
     */
    private Future<?> backoff;
    /**
     * The least wait before writing a refused run end again, whatever the retry policy says (a policy without
     * backoff would otherwise rewrite it in a hot loop against a store that is down).
     */
    private static final Duration STORE_RETRY_FLOOR = Duration.ofMillis(100);

    /** Loop-confined: a stop command applied but not yet kept by the store, which refused it; retried after a pause. */
    private boolean stopPending;

    /** Loop-confined: the writes of a run's start or end the store refused in a row (see the class comment). */
    private int storeFailures;
    /**
     * Loop-confined: caller cancels drained while a run that began after they were sent was in flight, in
     * order; delivered once that run has ended (delivered then, they would end it: a cancel names no run).
     */
    private final ArrayDeque<RunControlCommand> deferred = new ArrayDeque<>(0);
    /** Set by the timer when {@link #backoff} has passed; cleared by the pass that takes note of it. */
    private volatile boolean backoffElapsed;

    public RuntimeLoop(SessionDriver driver, CompletionRegistry completions, CoreExecutor executor,
                       Executor scheduler, LoopSettings settings) {
        this.sessionId = driver.sessionId();
        this.driver = driver;
        this.completions = completions;
        this.executor = executor;
        this.scheduler = scheduler;
        this.settings = settings;
    }

    /** Asks the loop to process its queue. Cheap and idempotent; extra wakes coalesce. */
    public void wake() {
        if (!wakePending) {
            wakePending = true;
        }
        signal();
    }

    /**
     * Enqueues an out-of-band command on the control channel. A {@code StopRuntimeExecutor} is the last
     * command the channel takes: every command accepted before it reaches the executor before it, none
     * is accepted after it (as in Meerkat 0.5, where draining ends at the stop). An executor ends a run
     * in flight on a stop as on a cancel ({@code CoreExecutor}), so no later command is needed to end it.
     *
     * @return {@code false} if a stop was sent before, or the loop has ended or its channel is closed (the
     *         command is dropped)
     */
    public boolean sendControl(RunControlCommand command) {
        if (exited || controlChannelClosed) {
            return false;
        }
        if (command instanceof RunControlCommand.StopRuntimeExecutor) {
            // Under the driver lock: any run not begun by now will not begin (the stop's linearisation point).
            driver.refuseNewRuns();
        }
        // The run a cancel may end is the one in flight when it is sent: a run that begins later is not
        // touched (SessionHandle.control), even if the cancel is drained while that run is in flight.
        return enqueue(new Sent(command, driver.activeRunId(), false));
    }

    private boolean enqueue(Sent sent) {
        synchronized (enqueueGate) {
            if (stopQueued) {
                return false;
            }
            controls.offer(sent);
            if (sent.command() instanceof RunControlCommand.StopRuntimeExecutor) {
                stopQueued = true;
            }
        }
        // Pairs with finishDraining, which sets `exited` and then delivers what is queued: we queue and then
        // read `exited`, so either it delivers our command or we see `exited` and take the command back.
        if (exited && controls.remove(sent)) {
            return false;
        }
        signal();
        return true;
    }

    /**
     * Called by the timer when run {@code runId} has gone on for the session's maximum duration: cancels
     * it through the control channel, as a {@code CancelCurrentRun} sent now would, its inputs abandoned
     * {@code TIMED_OUT}. Nothing is sent if the run has ended meanwhile; if it ends after the read below,
     * the command reaches the executor when no run of it is in flight, and cancels nothing.
     */
    private void timeOut(RunId runId) {
        if (runId.equals(driver.activeRunId())) {
            enqueue(new Sent(new RunControlCommand.CancelCurrentRun(
                    "run exceeded maxRunDuration " + settings.maxRunDuration()), runId, true));
        }
    }

    /** Called by the timer when the retry backoff has passed. */
    private void endBackoff() {
        backoffElapsed = true;
        wake();
    }

    /** Closes the control channel: the loop ends after delivering the commands already sent. */
    public void closeControlChannel() {
        controlChannelClosed = true;
        signal();
    }

    /** Whether the loop has ended. */
    public boolean hasExited() {
        return exited;
    }

    /** Completes when the loop has ended and its executor is closed. */
    public CompletableFuture<Void> termination() {
        return termination;
    }

    private void signal() {
        if (!scheduled && SCHEDULED.compareAndSet(this, false, true)) {
            try {
                scheduler.execute(this);
            } catch (RejectedExecutionException e) {
                if (!schedulerRefused) {
                    LOG.warn("session {}: scheduler refused the runtime loop; ending the loop", sessionId, e);
                }
                schedulerRefused = true;
                // This thread won the flag, so no other pass runs until run() releases it: it runs the pass
                // itself. A refused loop ends like a closed channel (session stopped, waiters terminated,
                // executor closed once the run in flight settles; later refusals finish that here too), so
                // no input or waiter is left for a pass that will never be scheduled.
                run();
            }
        }
    }

    @Override
    public void run() {
        try {
            if (!exited) {
                processMailbox();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("session {}: runtime loop failed; stopping the session", sessionId, e);
            failLoop("runtime loop failed: " + e);
        } finally {
            boolean yielding = yieldOnWorker;
            yieldOnWorker = false;
            scheduled = false;
            // A signal that found the flag set before the line above was not scheduled: look again.
            if (!exited && hasPendingSignal()) {
                if (yielding) {
                    signalFromOutside();
                } else {
                    signal();
                }
            }
        }
    }

    /**
     * Schedules the next pass from a thread outside the scheduler, for a pass that yields a worker of the
     * {@link ForkJoinPool} that is its scheduler to tasks waiting there: a worker runs what it submits itself
     * before anything waiting in the pool, so a pass it scheduled would run at once, again and again, and a busy
     * session would keep the thread from every other for as long as it has work. Submitted from outside, the
     * pass queues behind them. The outside thread is the delay scheduler's (the runtime's timer unless the
     * embedder gave one), as for a backoff's end; a loop that has ended meanwhile is not signalled.
     */
    private void signalFromOutside() {
        try {
            settings.delays().schedule(() -> {
                if (!exited) {
                    signal();
                }
            }, 0, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The timer is shutting down with the runtime: the pass is scheduled as any other.
            LOG.debug("session {}: the delay scheduler refused a yielding pass; scheduling it directly", sessionId, e);
            signal();
        }
    }

    private boolean hasPendingSignal() {
        if (stopPending && !draining) {
            return backoff == null || backoffElapsed || controlChannelClosed || schedulerRefused;
        }
        InFlightRun current = inFlight;
        if (draining) {
            // Only a settled run or a command to deliver is work now. A closed channel (maybe why the loop
            // drains) is not: counting it would reschedule the loop, hot, until the run in flight ends.
            return (current != null && current.settled) || !controls.isEmpty();
        }
        if (current != null) {
            return (current.settled && (backoff == null || backoffElapsed)) || !controls.isEmpty()
                    || controlChannelClosed || schedulerRefused;
        }
        return wakePending || !controls.isEmpty() || controlChannelClosed || schedulerRefused;
    }

    private void processMailbox() {
        if (draining) {
            finishDraining();
            return;
        }
        if (stopPending) {
            if (controlChannelClosed || schedulerRefused) {
                // The runtime is closing: the loop ends without the stop (not kept, as for any loop that ends).
                stopPending = false;
                leaveLoop();
            } else if (!backingOff()) {
                if (markRuntimeStopped("runtime stopped", true)) {
                    stopPending = false;
                    storeFailures = 0;
                    leaveLoop();
                } else {
                    startBackoff(++storeFailures, STORE_RETRY_FLOOR);
                }
            }
            return;
        }
        // Control first, always: every ready command before anything else.
        if (drainReadyExecutorControls()) {
            leaveLoop();
            return;
        }
        InFlightRun current = inFlight;
        if (current != null) {
            if (!current.settled || backingOff()) {
                // Not done yet, or done and waiting for the store to take its end (the timer wakes the loop).
                return;
            }
            inFlight = null;
            settle(current);
            if (inFlight != null) {
                return;
            }
            deliverDeferred();
        } else if (!wakePending) {
            return;
        }
        wakePending = false;
        processQueue();
    }

    /**
     * Runs units of work until there is none, or its {@code throughput} budget is used and other work waits for the
     * thread; each unit is preceded by a drain of the control channel.
     */
    private void processQueue() {
        int sinceLook = 0;
        for (;;) {
            if (sinceLook == settings.throughput()) {
                sinceLook = 0;
                if (othersWaitForThisThread()) {
                    // Budget used: yield the thread to other sessions and come back for the rest. A pass that a
                    // worker of its own pool schedules lands on that worker's queue, ahead of what waits: run()
                    // schedules it from outside instead.
                    wakePending = true;
                    yieldOnWorker = ForkJoinTask.getPool() == scheduler;
                    return;
                }
            }
            sinceLook++;
            if (drainReadyExecutorControls()) {
                leaveLoop();
                return;
            }
            if (backingOff()) {
                // The timer wakes the loop when the backoff has passed.
                return;
            }
            StagedRun run;
            try {
                run = driver.beginNextRun();
            } catch (StoreUnavailableException e) {
                // Undone: the inputs wait on their lanes, no attempt counted; the timer wakes the loop.
                storeFailures++;
                LOG.warn("session {}: the store refused the start of a run ({} in a row); trying again after a pause",
                        sessionId, storeFailures, e);
                startBackoff(storeFailures, STORE_RETRY_FLOOR);
                return;
            }
            if (run == null) {
                return;
            }
            InFlightRun flight = new InFlightRun(run);
            inFlight = flight;
            // Commands sent between the drain above and the run's start (sent before it began) reach the
            // executor now, before its apply, so that they cannot end this run from inside the executor.
            // One sent after the start targets this run: a cancel then ends it without an apply.
            if (drainReadyExecutorControls()) {
                // Stopped (the driver abandoned the staged inputs) or ending: the run was never applied.
                inFlight = null;
                leaveLoop();
                return;
            }
            if (flight.cancelReason != null) {
                inFlight = null;
                settle(flight);
                continue;
            }
            inFlight = null;
            flight.applyInvoked = true;
            invokeApply(run).whenComplete(flight::onApplyDone);
            if (!flight.settled) {
                inFlight = flight;
                limitDuration(flight);
                return;
            }
            settle(flight);
        }
    }

    /**
     * Whether other work may wait for the thread this pass runs on. On a {@link ForkJoinPool} worker: whether any
     * task waits in its pool (if none, yielding would serve nobody: the pass goes on rather than hand itself
     * over, through the pool, perhaps to another worker). On any other scheduler: always (it gets its thread
     * back, and queues the next pass behind what it holds).
     */
    private static boolean othersWaitForThisThread() {
        ForkJoinPool pool = ForkJoinTask.getPool();
        return pool == null || pool.getQueuedSubmissionCount() > 0 || pool.getQueuedTaskCount() > 0;
    }

    /** Whether a retry backoff is under way; takes note of one that has passed. */
    private boolean backingOff() {
        if (backoff == null) {
            return false;
        }
        if (!backoffElapsed) {
            return true;
        }
        backoff = null;
        backoffElapsed = false;
        return false;
    }

    /** Waits before the next run, once the most-tried input sent back to be retried has failed {@code failures} runs. */
    private void startBackoff(int failures) {
        startBackoff(failures, Duration.ZERO);
    }

    /** As {@link #startBackoff(int)}, waiting at least {@code floor}. */
    private void startBackoff(int failures, Duration floor) {
        Duration policy = settings.retryPolicy().backoffAfter(failures, ThreadLocalRandom.current().nextDouble());
        Duration wait = policy.compareTo(floor) < 0 ? floor : policy;
        if (backoff != null) {
            // One pause at a time: the newer decides when the loop goes on.
            backoff.cancel(false);
            backoff = null;
        }
        if (wait.isZero()) {
            return;
        }
        try {
            backoffElapsed = false;
            backoff = settings.delays().schedule(this::endBackoff, TimeUnit.NANOSECONDS.convert(wait), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The timer is shut down, so the runtime is closing: retry at once rather than never.
            LOG.debug("session {}: timer refused the retry backoff; retrying at once", sessionId, e);
            backoff = null;
        }
    }

    /** Arms the session's run duration limit, if it has one, for a run whose apply is in flight. */
    private void limitDuration(InFlightRun flight) {
        Duration limit = settings.maxRunDuration();
        if (limit == null) {
            return;
        }
        RunId runId = flight.run.runId();
        try {
            flight.limit = settings.delays().schedule(() -> timeOut(runId), TimeUnit.NANOSECONDS.convert(limit),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The timer is shut down, so the runtime is closing: the run ends with the loop.
            LOG.debug("session {}: timer refused the run duration limit", sessionId, e);
        }
    }

    private CompletionStage<CoreApplyOutput> invokeApply(StagedRun run) {
        try {
            CompletionStage<CoreApplyOutput> stage = executor.apply(run.runId(), run.primitive());
            return stage != null ? stage
                    : CompletableFuture.failedFuture(new IllegalStateException("executor returned no stage"));
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Commits, cancels or rolls back a settled run and resolves its waiters. However the run ended, the
     * caller goes on to the lanes: an input admitted while the run was active got no wake (the policy
     * wakes only an idle session), so this pass is the one that must start it. A failing input cannot
     * make that a hot loop: each rollback counts an attempt, and the third abandons it.
     */
    private void settle(InFlightRun flight) {
        if (flight.limit != null) {
            flight.limit.cancel(false);
        }
        try {
            settleInDriver(flight);
            storeFailures = 0;
        } catch (StoreUnavailableException e) {
            if (draining) {
                // The loop is ending: the store keeps the run as staged, to run again after a restart.
                LOG.warn("session {}: the store refused the end of run {}; it runs again after a restart",
                        sessionId, flight.run.runId(), e);
                return;
            }
            storeFailures++;
            LOG.warn("session {}: the store refused the end of run {} ({} in a row); trying again after a pause",
                    sessionId, flight.run.runId(), storeFailures, e);
            // Ready to settle again when the pause ends, also a run cancelled before its apply (no apply
            // callback will ever mark it so).
            flight.settled = true;
            inFlight = flight;
            startBackoff(storeFailures, STORE_RETRY_FLOOR);
        }
    }

    private void settleInDriver(InFlightRun flight) {
        Settlement settlement;
        if (flight.failure == null && flight.output != null) {
            settlement = driver.completeRun(flight.run, flight.output);
        } else if (flight.cancelReason != null) {
            settlement = driver.cancelRun(flight.run, flight.cancelReason,
                    flight.timedOut ? settings.maxRunDuration() : null);
        } else {
            Throwable failure = flight.failure != null ? unwrap(flight.failure)
                    : new IllegalStateException("executor completed the run with no output");
            LOG.debug("session {}: run {} failed", sessionId, flight.run.runId(), failure);
            SessionDriver.RolledBack rolledBack = driver.failRun(flight.run, String.valueOf(
                    failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName()),
                    PermanentFailureException.isPermanent(failure));
            rolledBack.settlement().resolveIn(completions, sessionId);
            if (rolledBack.failures() > 0 && !draining) {
                startBackoff(rolledBack.failures());
            }
            return;
        }
        settlement.resolveIn(completions, sessionId);
    }

    /**
     * Delivers every ready control command, in order, before the next unit of work.
     *
     * @return {@code true} if the loop must end: a stop was applied, the channel is closed or the
     *         scheduler refused the loop
     */
    boolean drainReadyExecutorControls() {
        Sent sent;
        while ((sent = controls.poll()) != null) {
            if (applyExecutorControl(sent)) {
                return true;
            }
        }
        return controlChannelClosed || schedulerRefused;
    }

    /**
     * Delivers one command to the executor (a failure is only logged) and, for a stop, marks the
     * session STOPPED and terminates every waiter.
     *
     * @return whether the loop must end
     */
    private boolean applyExecutorControl(Sent sent) {
        RunControlCommand command = sent.command();
        boolean shouldStop = command instanceof RunControlCommand.StopRuntimeExecutor;
        InFlightRun current = inFlight;
        if (command instanceof RunControlCommand.CancelCurrentRun && current != null && current.applyInvoked
                && !current.settled && !current.run.runId().equals(sent.activeRun())) {
            // Sent before this run began (aimed at an earlier run, or at none) and drained only now: the
            // executor would end this run with it. A caller's is delivered once this run has ended; the
            // loop's own time limit of a run that has ended has nothing left to do.
            if (!sent.timeout()) {
                deferred.add(command);
            }
            return false;
        }
        deliverDeferred();
        // Read before the delivery, which may end the apply (an executor that fails its stage on a cancel).
        boolean endedByItself = current != null && current.settled;
        deliver(executor, command);
        if (command instanceof RunControlCommand.CancelCurrentRun cancel && current != null
                && current.cancelReason == null && current.run.runId().equals(sent.activeRun())
                && !(sent.timeout() && endedByItself)) {
            // The first cancel to reach the run decides how it ended: a caller's, or its time limit (which
            // decides nothing once the apply has completed: the run ended by itself, in time or failing).
            current.cancelReason = cancel.reason();
            current.timedOut = sent.timeout();
        }
        if (shouldStop && !markRuntimeStopped("runtime stopped", true)) {
            // A stop command is kept by the store before it is made: the store refused it, so the session is
            // not stopped yet (no run begins: new runs were refused when the stop was sent); the loop writes it
            // again after a pause and ends then (see processMailbox).
            stopPending = true;
            startBackoff(++storeFailures, STORE_RETRY_FLOOR);
            return false;
        }
        return shouldStop;
    }

    private void deliverDeferred() {
        RunControlCommand command;
        while ((command = deferred.poll()) != null) {
            deliver(executor, command);
        }
    }

    private void deliver(CoreExecutor target, RunControlCommand command) {
        try {
            CompletionStage<Void> delivered = target.control(command);
            if (delivered != null) {
                delivered.whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        LOG.warn("session {}: failed to deliver out-of-band executor control {}", sessionId,
                                command, unwrap(failure));
                    }
                });
            }
        } catch (RuntimeException | Error e) {
            // What an executor throws, even an Error, never ends the loop by itself: the loop decides.
            LOG.warn("session {}: failed to deliver out-of-band executor control {}", sessionId, command, e);
        }
    }

    /** Delivers the queued commands without acting on them: the loop has ended and the session is stopped. */
    private void deliverQueuedControls(CoreExecutor target) {
        Sent sent;
        while ((sent = controls.poll()) != null) {
            deliver(target, sent.command());
        }
    }

    /**
     * A command on the control channel, with the run that was in flight when it was sent (or {@code null});
     * {@code timeout} marks the cancel the loop sends itself when that run goes on past its time limit.
     */
    private record Sent(RunControlCommand command, RunId activeRun, boolean timeout) {
    }

    /**
     * Marks the session STOPPED (unless it already ended) and terminates the waiters of the inputs it
     * abandoned: this session's own, never all those filed under its id, which a new session may reuse
     * once this one is removed.
     */
    private boolean markRuntimeStopped(String reason, boolean durable) {
        Settlement settlement;
        try {
            settlement = driver.stop(reason, durable);
        } catch (StoreUnavailableException e) {
            // Only a durable stop writes: nothing changed, the caller tries again.
            LOG.warn("session {}: the store refused the stop; trying again after a pause", sessionId, e);
            return false;
        } catch (RuntimeException e) {
            LOG.warn("session {}: failed to mark runtime stopped after a stop command", sessionId, e);
            return true;
        }
        settlement.resolveIn(completions, sessionId);
        return true;
    }

    private void leaveLoop() {
        // Not kept by a store: the loop ends (its channel closed by the runtime closing, or refused), the session
        // does not; the next runtime to open the store takes it up again.
        markRuntimeStopped(schedulerRefused ? "scheduler refused the runtime loop" : "runtime loop exited", false);
        draining = true;
        finishDraining();
    }

    /**
     * Closes the executor once no apply is in flight; no call reaches it after that. Until then every
     * command accepted is still delivered: after a stop there is none (the stop was the last), and when the
     * loop ended otherwise (its channel closed), a cancel may be what ends the run in flight.
     */
    private void finishDraining() {
        InFlightRun current = inFlight;
        if (current != null) {
            if (!current.settled) {
                deliverQueuedControls(executor);
                return;
            }
            inFlight = null;
            try {
                settle(current);
            } catch (RuntimeException | Error e) {
                // The loop ends regardless: a failure here must not leave termination incomplete.
                LOG.error("session {}: failed to settle the last run", sessionId, e);
            }
        }
        // No run is in flight any more: cancels held back from the last one can no longer end it.
        deliverDeferred();
        exited = true;
        if (backoff != null) {
            backoff.cancel(false);
            backoff = null;
        }
        CoreExecutor closing = executor;
        executor = null;
        try {
            // After `exited` is set: a command queued before sendControl could see it is delivered here.
            deliverQueuedControls(closing);
            closing.close();
        } catch (RuntimeException | Error e) {
            // An Error too (NoClassDefFoundError once the executor's plugin is unloaded): whatever the
            // executor throws, the loop below still ends, or runtime.close() would wait for its timeout.
            LOG.warn("session {}: executor failed to close", sessionId, e);
        } finally {
            try {
                driver.closeEvents();
            } finally {
                termination.complete(null);
            }
        }
    }

    private void failLoop(String reason) {
        try {
            driver.stop(reason, false).resolveIn(completions, sessionId);
        } finally {
            // Also when already draining (the failure came from a draining pass): every exit path ends in
            // finishDraining, which completes termination whatever happens in it.
            draining = true;
            if (!exited && (inFlight == null || inFlight.settled)) {
                finishDraining();
            }
        }
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** A run whose apply stage the loop waits for. */
    private final class InFlightRun {
        final StagedRun run;
        /** Loop-confined: the first cancel that reached this run, and whether it was its time limit. */
        String cancelReason;
        boolean timedOut;
        /** Loop-confined: the executor has been handed this run (a cancel delivered now would end it). */
        boolean applyInvoked;
        /** Loop-confined: the timer that cancels the run at its time limit, or {@code null}. */
        Future<?> limit;
        CoreApplyOutput output;
        Throwable failure;
        /** Written last by the apply callback; its volatile write publishes output and failure. */
        volatile boolean settled;

        InFlightRun(StagedRun run) {
            this.run = run;
        }

        void onApplyDone(CoreApplyOutput result, Throwable error) {
            if (error == null && result != null) {
                // Before `settled`: a stop that comes before this loop commits the run commits it first.
                driver.applied(run, result);
            }
            output = result;
            failure = error;
            settled = true;
            signal();
        }
    }
}
