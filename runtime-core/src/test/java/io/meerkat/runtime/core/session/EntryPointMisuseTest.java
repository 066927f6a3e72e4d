package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Misuse of the embedding API's entry points: null arguments, a factory that creates nothing, commands
 * to a destroyed session. Each is refused the same way every time, changes nothing, and leaves the
 * runtime serving.
 */
class EntryPointMisuseTest {

    /** A factory that forgets to return its executor. */
    static final class NullFactory implements ExecutorFactory {
        @Override
        public String kind() {
            return "forgetful";
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            return null;
        }
    }

    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private MeerkatRuntime runtime;

    @BeforeEach
    void start() {
        runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
                .executorFactory(new NullFactory()).build();
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    private void assertStillServing() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        Submission submission = session.submit(Input.prompt("still here"));
        factory.executorOf(session.id()).nextApply().complete("still here");
        assertEquals(new CompletionOutcome.Completed(RunResult.of("still here")),
                submission.completion().get(10, TimeUnit.SECONDS));
    }

    private static void assertNamesParameter(String parameter, Executable call) {
        assertEquals(parameter, assertThrows(NullPointerException.class, call).getMessage());
    }

    @Test
    void everyNullArgumentIsANullPointerExceptionNamingTheParameterAndChangesNothing() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        int sessions = runtime.sessions().size();

        assertNamesParameter("spec", () -> runtime.createSession(null));
        assertNamesParameter("sessionId", () -> runtime.session(null));
        assertNamesParameter("sessionId", () -> runtime.sessionOrThrow(null));
        assertNamesParameter("sessionId", () -> runtime.removeSession(null));
        assertNamesParameter("input", () -> session.submit(null));
        assertNamesParameter("input", () -> session.accept(null));
        assertNamesParameter("command", () -> session.control(null));
        assertNamesParameter("command", () -> session.runtimeControl(null));
        assertNamesParameter("inputId", () -> session.inputStatus(null));

        assertEquals(sessions, runtime.sessions().size());
        assertEquals(RuntimeState.ATTACHED, session.state());
        assertTrue(factory.executorOf(session.id()).controls().isEmpty(), "no command reached the executor");
        assertStillServing();
    }

    @Test
    void aFactoryThatReturnsNoExecutorFailsCreateSessionNamingIt() throws Exception {
        int sessions = runtime.sessions().size();

        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> runtime.createSession(SessionSpec.of("forgetful")));

        assertEquals("executor factory " + NullFactory.class.getName() + " for kind 'forgetful' returned no executor",
                refused.getMessage());
        assertEquals(sessions, runtime.sessions().size(), "no queue-only session was left behind");
        assertStillServing();
    }

    @Test
    void everyCommandToADestroyedSessionIsRefusedAndItStaysListedUntilRemoved() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());
        // A run whose apply ignores the stop keeps the loop alive after destroy: the refusal below must
        // come from the session's state, not from a loop that happens to have ended.
        executor.mode(ScriptedExecutor.Mode.PARK);
        session.submit(Input.prompt("parked"));
        ScriptedExecutor.PendingApply parked = executor.nextApply();
        session.destroy();

        List<Executable> commands = List.of(
                () -> session.control(new RunControlCommand.CancelCurrentRun("late")),
                () -> session.submit(Input.prompt("late")),
                () -> session.accept(Input.prompt("late")));
        // Repeated: the answer must not depend on whether the loop has ended yet.
        for (int round = 0; round < 20; round++) {
            for (Executable command : commands) {
                assertEquals(RuntimeState.DESTROYED, assertThrows(RuntimeNotReadyException.class, command).state());
            }
            session.control(new RunControlCommand.StopRuntimeExecutor("late"));
            session.runtimeControl(new RuntimeControlCommand.Stop());
            assertThrows(IllegalTransitionException.class,
                    () -> session.runtimeControl(new RuntimeControlCommand.Resume()), "a resume is refused (HTTP 409)");
            assertEquals(RuntimeState.DESTROYED, session.state(), "a stop of a destroyed session does nothing");
        }
        assertTrue(executor.controls().stream()
                .noneMatch(RunControlCommand.CancelCurrentRun.class::isInstance), "no refused command was delivered");
        parked.complete("late");
        ((LocalSession) session).termination().get(10, TimeUnit.SECONDS);
        assertThrows(IllegalTransitionException.class, session::destroy);
        assertThrows(IllegalTransitionException.class, session::reset);
        assertThrows(IllegalTransitionException.class, session::retire);
        assertThrows(IllegalTransitionException.class, session::recycle);

        assertTrue(runtime.session(session.id()).isPresent(), "a destroyed session stays listed");
        assertEquals(RuntimeState.DESTROYED, runtime.removeSession(session.id()).state());
        assertTrue(runtime.session(session.id()).isEmpty(), "removeSession forgets it");
        assertStillServing();
    }

    @Test
    void removalTellsWaitersTheSessionWasUnregisteredAndDestroySaysDestroyed() throws Exception {
        SessionHandle removed = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        Submission running = removed.submit(Input.prompt("running"));
        factory.executorOf(removed.id()).nextApply();
        Submission queued = removed.submit(Input.prompt("queued"));
        SessionHandle queueOnly = runtime.createSession(SessionSpec.withoutExecutor());
        Submission waiting = queueOnly.submit(Input.prompt("waiting"));
        SessionHandle destroyed = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        Submission destroyedQueued = destroyed.submit(Input.prompt("queued"));

        runtime.removeSession(removed.id());
        runtime.removeSession(queueOnly.id());
        destroyed.destroy();

        CompletionOutcome unregistered = new CompletionOutcome.RuntimeTerminated("runtime session unregistered");
        assertEquals(unregistered, running.completion().get(10, TimeUnit.SECONDS));
        assertEquals(unregistered, queued.completion().get(10, TimeUnit.SECONDS));
        assertEquals(unregistered, waiting.completion().get(10, TimeUnit.SECONDS));
        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime destroyed"),
                destroyedQueued.completion().get(10, TimeUnit.SECONDS));
        assertStillServing();
    }
}
