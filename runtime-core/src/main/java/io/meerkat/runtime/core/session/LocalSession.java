package io.meerkat.runtime.core.session;

import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.meerkat.runtime.api.SessionStatus;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.core.driver.SessionDriver;
import io.meerkat.runtime.core.events.SessionEvents;
import io.meerkat.runtime.core.driver.Settlement;
import io.meerkat.runtime.core.ingress.InputValidator;
import io.meerkat.runtime.core.loop.RuntimeLoop;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * A session of a {@link LocalMeerkatRuntime}: its driver, and its runtime loop when it has an
 * executor. Carries out what the driver decides: wakes the loop, sends it control commands and
 * resolves the waiters the driver hands back, always after the driver lock is released.
 *
 * <p>Lock order: every registry call here is made holding no session lock (the driver returns before
 * it); a registry may call back into the driver (the {@code stillPending} predicate of {@link #recycle})
 * under a lock of its own. This session resolves only the waiters of its own inputs, as the driver
 * names them, never every waiter filed under its id: after a removal the id may already belong to a
 * new session.
 */
final class LocalSession implements SessionHandle {

    /** What {@link #destroy()} tells the waiters it terminates. */
    static final String DESTROYED = "runtime destroyed";

    private static final Logger LOG = LoggerFactory.getLogger(LocalSession.class);

    private final SessionId sessionId;
    private final SessionDriver driver;
    private final RuntimeLoop loop;
    private final InputValidator validator;
    private final CompletionRegistry completions;
    private final SessionEvents events;
    /** Where the outcomes of inputs finished before a restart are found, or {@code null} without a store. */
    private final RuntimeStore store;

    LocalSession(SessionDriver driver, RuntimeLoop loop, InputValidator validator, CompletionRegistry completions,
                 SessionEvents events, RuntimeStore store) {
        this.store = store;
        this.sessionId = driver.sessionId();
        this.driver = driver;
        this.loop = loop;
        this.validator = validator;
        this.completions = completions;
        this.events = events;
    }

    @Override
    public SessionId id() {
        return sessionId;
    }

    @Override
    public Submission submit(Input input) {
        SessionDriver.Admitted admitted = admit(input, true);
        return new Submission(admitted.outcome(), admitted.completion());
    }

    @Override
    public AcceptOutcome accept(Input input) {
        return admit(input, false).outcome();
    }

    private SessionDriver.Admitted admit(Input input, boolean withCompletion) {
        validator.validate(input);
        SessionDriver.Admitted admitted;
        try {
            admitted = driver.admit(input, withCompletion);
        } catch (StoreUnavailableException e) {
            // Taking back an input whose write failed places those reserved after it, which waited for it: the
            // loop looks (a wake that finds nothing costs one pass).
            if (loop != null) {
                loop.wake();
            }
            throw e;
        }
        resolve(admitted.displaced());
        if (admitted.wake() && loop != null) {
            loop.wake();
        }
        if (admitted.waiter() != null) {
            // After the wake: the run need not wait for the registry; the handshake covers a run that ends first.
            hand(admitted.waiter());
        }
        return admitted;
    }

    /** Puts a waiter the driver handed out in the registry, or completes it if its input has finished. */
    private void hand(SessionDriver.Waiter waiter) {
        if (waiter.finished() != null) {
            waiter.future().complete(completions.finishedOutcome(sessionId, waiter.inputId())
                    .or(() -> storedOutcome(waiter.inputId()))
                    .orElse(waiter.finished()));
            return;
        }
        try {
            completions.register(sessionId, waiter.inputId(), waiter.future());
        } finally {
            // If the input was settled before the waiter got here, its settler found nothing to resolve:
            // resolve it now with the same outcome (the registry resolves a waiter once, so a settler that
            // did find it makes this a no-op).
            CompletionOutcome settled = driver.registered(waiter);
            if (settled != null) {
                completions.resolve(sessionId, waiter.inputId(), settled);
            }
        }
    }

    /** The outcome the store kept for a finished input (one that finished before a restart, say). */
    private Optional<CompletionOutcome> storedOutcome(InputId inputId) {
        if (store == null) {
            return Optional.empty();
        }
        try {
            return store.outcome(sessionId, inputId);
        } catch (StoreUnavailableException e) {
            LOG.warn("session {}: the store could not be read for the outcome of input {}", sessionId, inputId, e);
            return Optional.empty();
        }
    }

    /** See {@link SessionDriver#executorUnavailable}. */
    void executorUnavailable(String reason) {
        driver.executorUnavailable(reason);
    }

    /**
     * Puts a session just recovered from a store in the phase it was kept in: an IDLE one runs what it holds,
     * a RETIRED one drains it, a STOPPED or DESTROYED one ends again (nothing is written: the store has it so).
     * One that ended since it was taken up (its executor's kind was withdrawn while the store was still being
     * read) stays as it ended.
     */
    /** When the session was stopped or destroyed (epoch millis), 0 while it has not ended. */
    long endedAtMillis() {
        return driver.endedAtMillis();
    }

    /** See {@link SessionDriver#endedAt}. */
    void endedAt(long millis) {
        driver.endedAt(millis);
    }

    void resumeAfterRecovery(RuntimeState kept) {
        if (driver.state().isTerminal()) {
            return;
        }
        switch (kept) {
            case STOPPED -> stopDirectly("runtime stopped", false);
            case DESTROYED -> destroy(DESTROYED, false);
            case RETIRED -> retire();
            case INITIALIZING, IDLE, ATTACHED, RUNNING, RECOVERING -> {
                if (loop != null) {
                    loop.wake();
                }
            }
        }
    }

    /**
     * Removes the session from the runtime's store, if it has one; from then on nothing of it is written.
     *
     * @throws StoreUnavailableException if the store refused: the session is kept there, and goes on
     */
    void removeFromStore() {
        driver.removeFromStore();
    }

    @Override
    public void control(RunControlCommand command) {
        Objects.requireNonNull(command, "command");
        if (!(command instanceof RunControlCommand.StopRuntimeExecutor)) {
            refuseIfDestroyed("run control");
        }
        if (loop != null && loop.sendControl(command)) {
            return;
        }
        if (command instanceof RunControlCommand.StopRuntimeExecutor) {
            // No live loop to deliver it: apply the stop to the session directly (idempotent).
            stopDirectly("runtime stopped", true);
            return;
        }
        throw new RuntimeNotReadyException(sessionId, driver.state(), loop == null ? "run control (no runtime loop)"
                : "run control (its runtime loop was sent a stop, the last command, or has ended)");
    }

    @Override
    public void runtimeControl(RuntimeControlCommand command) {
        Objects.requireNonNull(command, "command");
        if (command instanceof RuntimeControlCommand.Stop) {
            stopDirectly("runtime stopped", true);
        } else if (command instanceof RuntimeControlCommand.Resume) {
            driver.resume();
            if (loop != null) {
                loop.wake();
            }
        }
    }

    /**
     * DESTROYED is final and set under the driver lock before {@link #destroy} returns, so every command
     * sent after it is refused here, whatever the loop is doing meanwhile. Stops are not refused: a stop
     * asks for an end the session has already reached, and is idempotent.
     */
    private void refuseIfDestroyed(String request) {
        if (driver.isDestroyed()) {
            throw new RuntimeNotReadyException(sessionId, RuntimeState.DESTROYED, request);
        }
    }

    /** From now on no run of this session begins here (its node hands it over); a run in flight goes on. */
    void refuseNewRuns() {
        driver.refuseNewRuns();
    }

    /** Whether a run of this session is in flight. */
    boolean hasRunInFlight() {
        return driver.activeRunId() != null;
    }

    /**
     * Stops the session now, terminates the waiters of the inputs the stop abandoned and tells the
     * executor to stop. Only those: an input that finished otherwise (consumed by a run the loop committed
     * just before) gets its real outcome from whoever finished it.
     *
     * @param durable whether the session's store keeps the stop: a stop command; not the runtime closing or
     *                a plugin withdrawn, after which the next runtime to open the store takes the session up again
     */
    void stopDirectly(String reason, boolean durable) {
        resolve(driver.stop(reason, durable));
        endLoop(reason);
    }

    private void endLoop(String reason) {
        if (loop == null || !loop.sendControl(new RunControlCommand.StopRuntimeExecutor(reason))) {
            if (loop == null) {
                driver.closeEvents();
            }
        }
    }

    @Override
    public LifecycleReport retire() {
        // A session recovered without its executor keeps its inputs for a runtime that has the executor.
        SessionDriver.Settled settled = driver.retire(loop != null || driver.isExecutorUnavailable());
        int resolved = resolve(settled.settlement());
        if (loop != null) {
            loop.wake();
        }
        return withResolved(settled.report(), resolved);
    }

    @Override
    public LifecycleReport reset() {
        SessionDriver.Settled settled = driver.reset(loop != null);
        return withResolved(settled.report(), resolve(settled.settlement()));
    }

    @Override
    public LifecycleReport destroy() {
        return destroy(DESTROYED, true);
    }

    /**
     * Destroys the session, telling the waiters of the inputs it abandons that it terminates {@code reason}.
     *
     * @param durable whether the session's store keeps the destruction (not when the session is removed
     *                from the store instead)
     */
    LifecycleReport destroy(String reason, boolean durable) {
        SessionDriver.Settled settled = driver.destroy(reason, durable);
        int resolved = resolve(settled.settlement());
        endLoop(reason);
        return withResolved(settled.report(), resolved);
    }

    @Override
    public LifecycleReport recycle() {
        LifecycleReport report = driver.recycle(loop != null);
        // "Still pending" must mean "the session still owes this waiter an outcome", i.e. it knows the
        // input. Not "active": an input that finished just before (the loop committed its run, then
        // released the lock) is no longer active, yet its waiter is about to get its real outcome;
        // terminating it here would contradict the ledger (CONSUMED, told RuntimeTerminated). The predicate
        // takes the driver lock, possibly under a registry lock: the allowed order (see the class comment).
        int resolved = completions.resolveNotPending(sessionId, driver::isInputKnown,
                "recycled input no longer pending");
        if (loop != null) {
            loop.wake();
        }
        return withResolved(report, resolved);
    }

    private static LifecycleReport withResolved(LifecycleReport report, int resolved) {
        return new LifecycleReport(report.state(), report.inputsAbandoned(), report.inputsPending(), resolved);
    }

    private int resolve(Settlement settlement) {
        return settlement.resolveIn(completions, sessionId);
    }

    @Override
    public RuntimeState state() {
        return driver.state();
    }

    @Override
    public Optional<InputStatus> inputStatus(InputId inputId) {
        Objects.requireNonNull(inputId, "inputId");
        return Optional.ofNullable(driver.inputStatus(inputId));
    }

    @Override
    public Optional<CompletableFuture<CompletionOutcome>> completion(InputId inputId) {
        Objects.requireNonNull(inputId, "inputId");
        SessionDriver.Waiter waiter = driver.waiterOf(inputId);
        if (waiter == null) {
            return Optional.empty();
        }
        hand(waiter);
        return Optional.of(waiter.future());
    }

    @Override
    public List<InputId> activeInputIds() {
        return driver.activeInputIds();
    }

    @Override
    public SessionStatus status() {
        return driver.status();
    }

    @Override
    public Flow.Publisher<RuntimeEventEnvelope> events() {
        return events;
    }

    /** Completes when the session's loop has ended (at once for a session without a loop). */
    /** The executor kind, or {@code null} for a queue-only session. */
    String executorKind() {
        return driver.executorKind();
    }

    CompletableFuture<Void> termination() {
        return loop == null ? CompletableFuture.completedFuture(null) : loop.termination();
    }
}
