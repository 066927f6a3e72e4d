package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.GatedRegistry;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A stop or destroy that lands between a run's commit (its input CONSUMED, under the driver lock) and
 * the resolution of its waiter (after the lock) must leave that waiter its real result; the stop
 * terminates only the waiters of the inputs it abandoned.
 */
class StopAfterCommitTest {

    @ParameterizedTest
    @ValueSource(strings = {"stop", "destroy"})
    void aStopBetweenARunsCommitAndItsResolutionLeavesTheWaiterItsResult(String how) throws Exception {
        ManualScheduler scheduler = new ManualScheduler();
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
        GatedRegistry registry = new GatedRegistry(new InMemoryCompletionRegistry(),
                outcome -> outcome instanceof CompletionOutcome.Completed);
        MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();
        Thread loop = new Thread(scheduler::runAll, "loop pass");
        try {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            Submission finishing = session.submit(Input.prompt("finishes as the session stops"));
            scheduler.runAll();
            Submission queued = session.submit(Input.prompt("still queued"));
            factory.executorOf(session.id()).nextApply().complete("done");
            loop.start();
            registry.awaitParked(); // the run is committed (CONSUMED), its waiter not resolved yet

            if (how.equals("stop")) {
                session.runtimeControl(new RuntimeControlCommand.Stop());
            } else {
                session.destroy();
            }
            registry.release();
            loop.join(10_000);

            assertEquals(new CompletionOutcome.Completed(RunResult.of("done")),
                    finishing.completion().get(10, TimeUnit.SECONDS), how + " kept the committed run's result");
            assertEquals(CompletionOutcome.RuntimeTerminated.class,
                    queued.completion().get(10, TimeUnit.SECONDS).getClass(), how + " terminated what it abandoned");
        } finally {
            registry.release();
            scheduler.autoRun();
            runtime.close();
        }
    }
}
