package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.OutcomeHistoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 2: a session id reused at once after {@code removeSession} belongs to the new
 * session; the old session's loop, ending later, resolves only its own waiters and forgets only its
 * own outcomes. The manual scheduler runs the old loop's last pass after the new session was created.
 */
class ReusedSessionIdTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final OutcomeHistoryCompletionRegistry registry = new OutcomeHistoryCompletionRegistry();
    private final AtomicInteger created = new AtomicInteger();
    /** The first executor (the old session's) parks its runs; later ones echo. */
    private final TestRuntimes.RecordingFactory factory = new TestRuntimes.RecordingFactory(() ->
            new ScriptedExecutor(created.getAndIncrement() == 0 ? ScriptedExecutor.Mode.PARK : ScriptedExecutor.Mode.ECHO));
    private final MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();
    private final SessionId id = SessionId.random();

    @AfterEach
    void close() {
        factory.all().values().forEach(ScriptedExecutor::releaseAll);
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void theOldLoopsTerminationsDoNotReachTheNewSessionsWaiters() {
        created.set(1);
        runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withId(id));
        runtime.removeSession(id);
        SessionHandle fresh = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withId(id));
        Submission submission = fresh.submit(Input.prompt("for the new session"));

        // The old loop's pass (the stop the removal sent) runs first, then the new loop's.
        scheduler.runAll();

        assertEquals(InputLifecycleState.CONSUMED, fresh.inputStatus(submission.inputId()).orElseThrow().state());
        assertEquals(new CompletionOutcome.Completed(RunResult.of("for the new session")),
                submission.completion().getNow(null));
    }

    @Test
    void theOldLoopsEndDoesNotForgetTheNewSessionsOutcomes() {
        SessionHandle old = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withId(id));
        ScriptedExecutor parked = factory.all().get(id.toString());
        old.submit(Input.prompt("parked"));
        scheduler.runAll();
        ScriptedExecutor.PendingApply inFlight = parked.pollApply();
        runtime.removeSession(id);
        scheduler.runAll();
        assertNotNull(inFlight, "the old session's run is parked in flight");

        SessionHandle fresh = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withId(id));
        Submission submission = fresh.submit(Input.prompt("remembered"));
        scheduler.runAll();
        assertTrue(registry.finishedOutcome(id, submission.inputId()).isPresent());

        inFlight.complete("late");
        scheduler.runAll();

        assertTrue(old.state().isTerminal());
        assertEquals(new CompletionOutcome.Completed(RunResult.of("remembered")),
                registry.finishedOutcome(id, submission.inputId()).orElse(null),
                "the old session's end forgot the new session's outcome");
    }
}
