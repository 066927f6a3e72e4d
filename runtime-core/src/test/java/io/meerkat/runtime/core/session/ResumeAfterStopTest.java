package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import org.junit.jupiter.api.Test;

/** {@code Resume} is a no-op on a live session (as in Meerkat 0.5) and refused once the session is stopped. */
class ResumeAfterStopTest {

    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));

    @Test
    void resumeOnALiveSessionChangesNothingAndAfterAStopIsRefused() {
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry()).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            RuntimeState before = session.state();
            session.runtimeControl(new RuntimeControlCommand.Resume());
            assertEquals(before, session.state());

            session.runtimeControl(new RuntimeControlCommand.Stop());
            IllegalTransitionException refused = assertThrows(IllegalTransitionException.class,
                    () -> session.runtimeControl(new RuntimeControlCommand.Resume()));
            assertEquals(RuntimeState.STOPPED, refused.from());
            assertEquals(RuntimeState.STOPPED, session.state());
            session.runtimeControl(new RuntimeControlCommand.Stop());
            assertEquals(RuntimeState.STOPPED, session.state(), "a second stop stays harmless");
        }
    }
}
