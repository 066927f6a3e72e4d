package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The external boundary contract of Meerkat 0.5's {@code control_plane_contract}: stop preempts
 * queued work, reset terminates queued work, retire drains, retire without a loop abandons. The
 * scheduler is manual, so "the stop was enqueued before the loop ran" is exact, not a race.
 */
class ControlPlaneContractTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private MeerkatRuntime runtime;

    @BeforeEach
    void start() {
        runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();
    }

    @AfterEach
    void stop() {
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void stopEnqueuedBeforeQueuedWorkPreemptsIt() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());

        Submission submission = session.submit(Input.prompt("queued work"));
        session.control(new RunControlCommand.StopRuntimeExecutor("operator stop"));
        scheduler.runAll();

        assertEquals(0, executor.applyCalls(), "apply must never run once a stop is enqueued");
        assertEquals(List.of(new RunControlCommand.StopRuntimeExecutor("operator stop")), executor.controls());
        assertInstanceOf(CompletionOutcome.RuntimeTerminated.class, submission.completion().getNow(null));
        assertEquals(RuntimeState.STOPPED, session.state());
        InputStatus input = session.inputStatus(submission.inputId()).orElseThrow();
        assertEquals(InputLifecycleState.ABANDONED, input.state());
        assertEquals(AbandonReason.STOPPED, input.abandonReason());
        assertEquals(1, executor.closeCalls(), "the executor is closed once the loop ends");
        assertFalse(executor.calledAfterClose());
        assertEquals(0, registry.pendingCount());
    }

    @Test
    void everyReadyControlIsDeliveredBeforeTheNextUnitOfWork() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());

        Submission first = session.submit(Input.prompt("one"));
        session.control(new RunControlCommand.CancelCurrentRun("a"));
        session.control(new RunControlCommand.CancelCurrentRun("b"));
        scheduler.runAll();

        assertEquals(List.of(new RunControlCommand.CancelCurrentRun("a"), new RunControlCommand.CancelCurrentRun("b")),
                executor.controls());
        assertEquals(1, executor.applyCalls());
        assertEquals(new CompletionOutcome.Completed(io.meerkat.runtime.api.RunResult.of("one")),
                first.completion().join());
    }

    @Test
    void submitAfterStopIsRefusedWithATypedError() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        session.control(new RunControlCommand.StopRuntimeExecutor("done"));
        scheduler.runAll();

        RuntimeNotReadyException refused = assertThrows(RuntimeNotReadyException.class,
                () -> session.submit(Input.prompt("late")));
        assertEquals(RuntimeState.STOPPED, refused.state());
    }

    @Test
    void resetTerminatesQueuedWork() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        Submission a = session.submit(Input.prompt("a"));
        Submission b = session.submit(Input.prompt("b"));

        LifecycleReport report = session.reset();
        scheduler.runAll();

        assertEquals(2, report.inputsAbandoned());
        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime reset"), a.completion().join());
        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime reset"), b.completion().join());
        assertEquals(AbandonReason.RESET, session.inputStatus(a.inputId()).orElseThrow().abandonReason());
        assertEquals(0, factory.executorOf(session.id()).applyCalls());
        assertEquals(RuntimeState.ATTACHED, session.state(), "a reset session keeps its loop");

        Submission after = session.submit(Input.prompt("after reset"));
        scheduler.runAll();
        assertInstanceOf(CompletionOutcome.Completed.class, after.completion().join());
    }

    @Test
    void retireDrainsToCompletionThenRefusesInput() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        List<Submission> queued = List.of(session.submit(Input.prompt("1")), session.submit(Input.prompt("2")),
                session.submit(Input.prompt("3")));

        LifecycleReport report = session.retire();
        assertEquals(3, report.inputsPending());
        assertThrows(RuntimeNotReadyException.class, () -> session.submit(Input.prompt("refused")));
        scheduler.runAll();

        for (Submission submission : queued) {
            assertInstanceOf(CompletionOutcome.Completed.class, submission.completion().join());
        }
        assertEquals(RuntimeState.RETIRED, session.state(), "retire does not stop the session");
        assertEquals(3, factory.executorOf(session.id()).applyCalls());
    }

    @Test
    void retireWithoutALoopAbandons() {
        SessionHandle session = runtime.createSession(SessionSpec.withoutExecutor());
        Submission queued = session.submit(Input.prompt("nobody will run me"));

        LifecycleReport report = session.retire();

        assertEquals(1, report.inputsAbandoned());
        assertEquals(new CompletionOutcome.RuntimeTerminated("retired without runtime loop"), queued.completion().join());
        assertEquals(AbandonReason.RETIRED, session.inputStatus(queued.inputId()).orElseThrow().abandonReason());
        assertEquals(RuntimeState.RETIRED, session.state());
    }

    @Test
    void stopWithoutALoopIsAppliedToTheSessionDirectly() {
        SessionHandle session = runtime.createSession(SessionSpec.withoutExecutor());
        Submission queued = session.submit(Input.prompt("queued"));

        session.control(new RunControlCommand.StopRuntimeExecutor("no loop"));

        assertEquals(RuntimeState.STOPPED, session.state());
        assertInstanceOf(CompletionOutcome.RuntimeTerminated.class, queued.completion().join());
        assertThrows(RuntimeNotReadyException.class,
                () -> session.control(new RunControlCommand.CancelCurrentRun("nothing to cancel")));
    }

    @Test
    void recycleKeepsQueuedWorkAndTheLoop() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        Submission queued = session.submit(Input.prompt("survives the recycle"));

        LifecycleReport report = session.recycle();
        assertEquals(1, report.inputsPending());
        assertEquals(RuntimeState.ATTACHED, session.state());
        scheduler.runAll();

        assertInstanceOf(CompletionOutcome.Completed.class, queued.completion().join());
    }
}
