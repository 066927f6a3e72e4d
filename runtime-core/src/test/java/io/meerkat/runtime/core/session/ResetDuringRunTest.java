package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 6: reset is refused while a run is active, RETIRED with a run in flight included (as
 * Meerkat refuses it): the session keeps tracking the run the executor is still applying.
 */
class ResetDuringRunTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private final MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
            .scheduler(scheduler).build();

    @AfterEach
    void close() {
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void resetIsRefusedWhileARetiredSessionsRunIsInFlight() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        Submission running = session.submit(Input.prompt("in flight"));
        scheduler.runAll();
        ScriptedExecutor.PendingApply apply = factory.executorOf(session.id()).nextApply();
        session.retire();
        assertEquals(RuntimeState.RETIRED, session.state());

        assertThrows(IllegalTransitionException.class, session::reset);

        assertEquals(RuntimeState.RETIRED, session.state());
        assertEquals(running.inputId(), session.status().activeInputIds().get(0));
        apply.complete("done");
        scheduler.runAll();
        assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), running.completion().getNow(null));
        assertEquals(InputLifecycleState.CONSUMED, session.inputStatus(running.inputId()).orElseThrow().state());
        session.reset();
        assertEquals(RuntimeState.ATTACHED, session.state(), "once the run has ended, reset is allowed again");
    }
}
