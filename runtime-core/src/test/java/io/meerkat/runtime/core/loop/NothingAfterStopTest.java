package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, divergence from Meerkat 0.5: draining the control channel ends at a stop. Of the commands
 * {@code [a, stop, b]}, sent before the loop runs, the executor gets {@code a} and the stop, never
 * {@code b}.
 */
class NothingAfterStopTest {

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
    void aCommandQueuedBehindAStopNeverReachesTheExecutor() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());
        RunControlCommand a = new RunControlCommand.CancelCurrentRun("a");
        RunControlCommand stop = new RunControlCommand.StopRuntimeExecutor("stop");
        RunControlCommand b = new RunControlCommand.CancelCurrentRun("b");

        session.control(a);
        session.control(stop);
        session.control(b);
        scheduler.runAll();

        assertEquals(List.of(a, stop), executor.controls());
        assertEquals(RuntimeState.STOPPED, session.state());
    }
}
