package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.RuntimeTransition;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RunObserver;
import io.meerkat.runtime.core.events.SessionEvents;
import io.meerkat.runtime.core.ingress.InputRecord;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the session driver tells its event stream and the runtime's {@link RunObserver}, one method per step
 * of the driver. Called only under the driver lock, so events leave in the order of the steps; every method
 * costs one volatile read when nobody listens to the stream (it builds nothing then), and the observer's
 * call for a run's start and end.
 */
final class DriverEvents {

    private static final Logger LOG = LoggerFactory.getLogger(DriverEvents.class);

    private final SessionId sessionId;
    private final SessionEvents events;
    private final RunObserver observer;
    /** Whether the observer's first failure was logged with its stack trace; accessed under the driver lock. */
    private boolean observerFailureLogged;
    /** Whether {@link #close} ran (it may be called again); accessed under the driver lock. */
    private boolean closed;

    DriverEvents(SessionId sessionId, SessionEvents events, RunObserver observer) {
        this.sessionId = sessionId;
        this.events = events;
        this.observer = observer;
    }

    boolean enabled() {
        return events.enabled();
    }

    void inputDeduplicated(InputId duplicate, InputId existing) {
        if (events.enabled()) {
            events.publish(new RuntimeEvent.InputDeduplicated(duplicate, existing));
        }
    }

    /** An input was accepted (and queued, or already finished), replacing {@code displaced}. */
    void inputAccepted(InputRecord record, List<InputRecord> displaced) {
        if (!events.enabled()) {
            return;
        }
        events.publish(new RuntimeEvent.InputTransitioned(record.id(), null, InputLifecycleState.ACCEPTED, null));
        events.publish(new RuntimeEvent.InputTransitioned(record.id(), InputLifecycleState.ACCEPTED, record.state(), null));
        for (InputRecord replaced : displaced) {
            events.publish(new RuntimeEvent.InputTransitioned(replaced.id(), InputLifecycleState.QUEUED,
                    replaced.state(), "replaced by " + record.id()));
        }
    }

    void runStarted(RunId runId, List<InputRecord> staged) {
        try {
            observer.runStarted(sessionId, runId);
        } catch (RuntimeException | Error e) {
            observerFailed(e);
        }
        if (events.enabled()) {
            transitions(staged, InputLifecycleState.QUEUED, null);
            run(new RunEvent.RunStarted(runId, InputRecord.ids(staged)));
        }
    }

    void boundaryApplied(RunId runId, RunBoundaryReceipt receipt) {
        if (events.enabled()) {
            run(new RunEvent.BoundaryApplied(runId, receipt));
        }
    }

    /**
     * The run consumed its inputs: each goes STAGED → APPLIED → APPLIED_PENDING_CONSUMPTION → CONSUMED;
     * {@code outcome} is what their waiters are told.
     */
    void runCompleted(RunId runId, List<InputRecord> consumed, CompletionOutcome outcome) {
        runEnded(runId, RunObserver.RunEnd.COMPLETED);
        if (!events.enabled()) {
            return;
        }
        for (InputRecord record : consumed) {
            events.publish(new RuntimeEvent.InputTransitioned(record.id(), InputLifecycleState.STAGED,
                    InputLifecycleState.APPLIED, null));
            events.publish(new RuntimeEvent.InputTransitioned(record.id(), InputLifecycleState.APPLIED,
                    InputLifecycleState.APPLIED_PENDING_CONSUMPTION, null));
            events.publish(new RuntimeEvent.InputTransitioned(record.id(),
                    InputLifecycleState.APPLIED_PENDING_CONSUMPTION, InputLifecycleState.CONSUMED, null));
        }
        run(new RunEvent.RunCompleted(runId, InputRecord.ids(consumed), outcome));
    }

    /** The run failed: its inputs went back to their lanes ({@code requeued}) or were abandoned. */
    void runFailed(RunId runId, List<InputRecord> staged, String error, boolean requeued) {
        runEnded(runId, RunObserver.RunEnd.FAILED);
        if (events.enabled()) {
            transitions(staged, InputLifecycleState.STAGED, "run failed: " + error);
            run(new RunEvent.RunFailed(runId, error, requeued));
        }
    }

    /** The run was cancelled, by a caller or by its time limit ({@code timedOutAfter} not null). */
    void runCancelled(RunId runId, List<InputRecord> abandoned, String why, String reason, Duration timedOutAfter) {
        runEnded(runId, timedOutAfter != null ? RunObserver.RunEnd.TIMED_OUT : RunObserver.RunEnd.CANCELLED);
        if (events.enabled()) {
            transitions(abandoned, InputLifecycleState.STAGED, why);
            run(timedOutAfter != null ? new RunEvent.RunTimedOut(runId, timedOutAfter)
                    : new RunEvent.RunCancelled(runId, reason));
        }
    }

    void runProgress(RunId runId, String message) {
        if (events.enabled()) {
            run(new RunEvent.RunProgress(runId, message));
        }
    }

    void outputDelta(RunId runId, String text) {
        if (events.enabled()) {
            run(new RunEvent.OutputDelta(runId, text));
        }
    }

    void abandoned(List<InputRecord> records, AbandonReason reason) {
        if (events.enabled()) {
            for (InputRecord record : records) {
                events.publish(new RuntimeEvent.InputTransitioned(record.id(), null, InputLifecycleState.ABANDONED,
                        reason.name()));
            }
        }
    }

    void stateChanged(RuntimeState from, RuntimeState to, RuntimeTransition transition) {
        // The transition is named only for a listener: naming it allocates, twice per run otherwise.
        if (from != to && events.enabled()) {
            events.publish(new RuntimeEvent.StateChanged(from, to, transition.name()));
        }
    }

    void topology(RuntimeEvent.TopologyChange change) {
        if (events.enabled()) {
            events.publish(new RuntimeEvent.Topology(change));
        }
    }

    /** The session can change no more: its stream completes, and the observer hears no more of it. */
    void close() {
        events.close();
        if (closed) {
            return;
        }
        closed = true;
        try {
            observer.sessionClosed(sessionId);
        } catch (RuntimeException | Error e) {
            observerFailed(e);
        }
    }

    private void runEnded(RunId runId, RunObserver.RunEnd end) {
        try {
            observer.runEnded(sessionId, runId, end);
        } catch (RuntimeException | Error e) {
            observerFailed(e);
        }
    }

    /**
     * An observer's bug must not break the step it was told of (a run half committed, a session dead): logged
     * (the trace once per session), then ignored. Errors of the JVM itself (out of memory, stack overflow) are not caught.
     */
    private void observerFailed(Throwable e) {
        if (e instanceof VirtualMachineError fatal) {
            throw fatal;
        }
        if (!observerFailureLogged) {
            observerFailureLogged = true;
            LOG.warn("session {}: the run observer {} failed; its failures are ignored", sessionId, observer, e);
        } else {
            LOG.debug("session {}: the run observer failed again: {}", sessionId, e.toString());
        }
    }

    private void transitions(List<InputRecord> records, InputLifecycleState from, String reason) {
        for (InputRecord record : records) {
            events.publish(new RuntimeEvent.InputTransitioned(record.id(), from, record.state(), reason));
        }
    }

    private void run(RunEvent event) {
        events.publish(new RuntimeEvent.RunLifecycle(event));
    }
}
