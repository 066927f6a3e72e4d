package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.EventRecorder;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A subscriber sees a session's history in order, numbered, and the stream ends with the session. */
class SessionEventsTest {

    @Test
    void subscribersSeeStateChangesAndInputStepsInOrderUntilTheSessionEnds() throws Exception {
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry()).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            EventRecorder recorder = new EventRecorder();
            session.events().subscribe(recorder);

            Submission submission = session.submit(Input.prompt("hello"));
            submission.completion().get(10, TimeUnit.SECONDS);
            session.control(new RunControlCommand.StopRuntimeExecutor("bye"));
            List<RuntimeEventEnvelope> events = recorder.done.get(10, TimeUnit.SECONDS);

            for (int i = 1; i < events.size(); i++) {
                assertTrue(events.get(i).sequence() > events.get(i - 1).sequence(), "sequence increases");
            }
            List<String> states = events.stream()
                    .filter(e -> e.event() instanceof RuntimeEvent.StateChanged)
                    .map(e -> (RuntimeEvent.StateChanged) e.event())
                    .map(c -> c.from() + "->" + c.to())
                    .toList();
            assertEquals(List.of("ATTACHED->RUNNING", "RUNNING->ATTACHED", "ATTACHED->STOPPED"), states);
            List<InputLifecycleState> steps = events.stream()
                    .filter(e -> e.event() instanceof RuntimeEvent.InputTransitioned t
                            && t.inputId().equals(submission.inputId()))
                    .map(e -> ((RuntimeEvent.InputTransitioned) e.event()).to())
                    .toList();
            assertEquals(List.of(InputLifecycleState.ACCEPTED, InputLifecycleState.QUEUED, InputLifecycleState.STAGED,
                    InputLifecycleState.APPLIED, InputLifecycleState.APPLIED_PENDING_CONSUMPTION,
                    InputLifecycleState.CONSUMED), steps);
            assertEquals(RuntimeState.STOPPED, session.state());
        }
    }

    /** Runs delivery tasks on the caller's thread until told to refuse them, like a pool being shut down. */
    private static final class RefusingExecutor implements java.util.concurrent.Executor {
        volatile boolean refusing;

        @Override
        public void execute(Runnable task) {
            if (refusing) {
                throw new java.util.concurrent.RejectedExecutionException("listener pool shut down");
            }
            task.run();
        }
    }

    @Test
    void aListenerExecutorThatRefusesDeliveryNeverBreaksTheSession() throws Exception {
        ManualScheduler scheduler = new ManualScheduler();
        RefusingExecutor listeners = new RefusingExecutor();
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
                .scheduler(scheduler).blockingExecutor(listeners).build();
        try {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            EventRecorder before = new EventRecorder();
            session.events().subscribe(before);
            Submission first = session.submit(Input.prompt("delivered"));
            scheduler.runAll();
            assertEquals(new CompletionOutcome.Completed(RunResult.of("delivered")), first.completion().getNow(null));

            listeners.refusing = true;
            Submission second = session.submit(Input.prompt("refused delivery"));
            scheduler.runAll();
            EventRecorder late = new EventRecorder();
            session.events().subscribe(late);

            assertEquals(new CompletionOutcome.Completed(RunResult.of("refused delivery")),
                    second.completion().getNow(null), "the session works on without its listeners");
            assertTrue(late.done.isCompletedExceptionally(), "a subscriber that cannot be served is told so");
            session.control(new RunControlCommand.StopRuntimeExecutor("bye"));
            scheduler.runAll();
            assertEquals(RuntimeState.STOPPED, session.state());
            assertEquals(1, factory.executorOf(session.id()).closeCalls());
            assertTrue(((LocalSession) session).termination().isDone(),
                    "closing the event stream cannot keep the loop from ending");
        } finally {
            listeners.refusing = false;
            scheduler.autoRun();
            runtime.close();
        }
    }
}
