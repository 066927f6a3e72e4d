package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11, defect 8: a stop, destroy or cancel that arrives after a run's apply completed but before
 * the loop committed it keeps the run's output: the run is committed first (the work was done), and
 * only the inputs still queued are abandoned. The manual scheduler holds the loop's pass that would
 * commit the run until the command has arrived.
 */
class StopAfterApplyTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private final MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
            .scheduler(scheduler).maxBatchSize(1).build();

    @AfterEach
    void close() {
        scheduler.autoRun();
        runtime.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"runtime stop", "executor stop", "destroy", "cancel"})
    void aCommandAfterApplyCompletedKeepsTheRunsOutput(String how) throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        Submission finished = session.submit(Input.prompt("finished"));
        scheduler.runAll();
        Submission queued = session.submit(Input.prompt("still queued"));
        factory.executorOf(session.id()).nextApply().complete("the work");
        assertTrue(scheduler.pending() > 0, "the pass that commits the run has not run yet");

        switch (how) {
            case "runtime stop" -> session.runtimeControl(new RuntimeControlCommand.Stop());
            case "executor stop" -> session.control(new RunControlCommand.StopRuntimeExecutor("stop"));
            case "destroy" -> session.destroy();
            default -> session.control(new RunControlCommand.CancelCurrentRun("too late"));
        }
        scheduler.runAll();

        assertEquals(new CompletionOutcome.Completed(RunResult.of("the work")), finished.completion().getNow(null),
                how + " discarded a finished run");
        assertEquals(InputLifecycleState.CONSUMED, session.inputStatus(finished.inputId()).orElseThrow().state());
        if (!how.equals("cancel")) {
            InputStatus abandoned = session.inputStatus(queued.inputId()).orElseThrow();
            assertEquals(InputLifecycleState.ABANDONED, abandoned.state());
            assertEquals(how.equals("destroy") ? AbandonReason.DESTROYED : AbandonReason.STOPPED,
                    abandoned.abandonReason());
            assertEquals(CompletionOutcome.RuntimeTerminated.class, queued.completion().getNow(null).getClass());
        }
    }
}
