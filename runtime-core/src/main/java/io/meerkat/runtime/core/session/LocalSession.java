package io.meerkat.runtime.core.session;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionStatus;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.core.driver.SessionDriver;
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
 */
final class LocalSession implements SessionHandle {

    /** What {@link #destroy()} tells the waiters it terminates. */
    static final String DESTROYED = "runtime destroyed";

    private final SessionId sessionId;
    private final SessionDriver driver;
    private final RuntimeLoop loop;
    private final InputValidator validator;
    private final CompletionRegistry completions;
    private final SessionEvents events;

    LocalSession(SessionDriver driver, RuntimeLoop loop, InputValidator validator, CompletionRegistry completions,
                 SessionEvents events) {
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
        SessionDriver.Admitted admitted = driver.admit(input, withCompletion);
        resolve(admitted.displaced());
        if (admitted.wake() && loop != null) {
            loop.wake();
        }
        return admitted;
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
            stopDirectly("runtime stopped");
            return;
        }
        throw new RuntimeNotReadyException(sessionId, driver.state(), "run control (no runtime loop)");
    }

    @Override
    public void runtimeControl(RuntimeControlCommand command) {
        Objects.requireNonNull(command, "command");
        if (command instanceof RuntimeControlCommand.Stop) {
            stopDirectly("runtime stopped");
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
        RuntimeState state = driver.state();
        if (state == RuntimeState.DESTROYED) {
            throw new RuntimeNotReadyException(sessionId, state, request);
        }
    }

    /** Stops the session now, terminates its waiters and tells the executor to stop. */
    void stopDirectly(String reason) {
        driver.stop();
        terminateLeftWaiters(AbandonReason.STOPPED, reason);
        endLoop(reason);
    }

    /**
     * Terminates the waiters a stop or destroy leaves: those of the inputs it abandoned ({@code abandoned})
     * and of inputs the session does not know. Not those of inputs that finished otherwise, e.g. consumed
     * by a run the loop committed just before (it then released the lock and is about to resolve them with
     * their real outcome): terminating them here would contradict the ledger (CONSUMED, told
     * RuntimeTerminated), as for {@link #recycle()}.
     */
    private int terminateLeftWaiters(AbandonReason abandoned, String reason) {
        if (loop == null) {
            // No loop, so no run commits meanwhile: every waiter left is this stop's, and terminating them
            // session-wide also drops the session's table from the registry (the loop does that otherwise).
            return completions.resolveAllTerminated(sessionId, reason);
        }
        return completions.resolveNotPending(sessionId, inputId -> {
            InputStatus status = driver.inputStatus(inputId);
            return status != null && status.state().isTerminal()
                    && !(status.state() == InputLifecycleState.ABANDONED && status.abandonReason() == abandoned);
        }, reason);
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
        SessionDriver.Settled settled = driver.retire(loop != null);
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
        return destroy(DESTROYED);
    }

    /** Destroys the session, telling the waiters it terminates {@code reason}. */
    LifecycleReport destroy(String reason) {
        LifecycleReport report = driver.destroy();
        int resolved = terminateLeftWaiters(AbandonReason.DESTROYED, reason);
        endLoop(reason);
        return withResolved(report, resolved);
    }

    @Override
    public LifecycleReport recycle() {
        LifecycleReport report = driver.recycle(loop != null);
        // "Still pending" must mean "the session still owes this waiter an outcome", i.e. it knows the
        // input. Not "active": an input that finished just before (the loop committed its run, then
        // released the lock) is no longer active, yet its waiter is about to get its real outcome;
        // terminating it here would contradict the ledger (CONSUMED, told RuntimeTerminated).
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
