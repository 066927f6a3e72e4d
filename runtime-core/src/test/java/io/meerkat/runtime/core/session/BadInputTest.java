package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.DuplicateSessionException;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputRejectedException;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.PayloadTooLargeException;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeClosedException;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionNotFoundException;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.UnknownExecutorException;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad requests get typed errors, change nothing, and leave the runtime serving everyone else. */
class BadInputTest {

    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
    private MeerkatRuntime runtime;
    private SessionHandle healthy;

    @BeforeEach
    void start() {
        runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry()).maxPayloadChars(1_000).build();
        healthy = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    private void assertStillServing() throws Exception {
        Submission submission = healthy.submit(Input.prompt("still here"));
        assertEquals(new CompletionOutcome.Completed(RunResult.of("still here")),
                submission.completion().get(10, TimeUnit.SECONDS));
    }

    @Test
    void nullInputIsANullPointerExceptionNamingIt() throws Exception {
        assertEquals("input", assertThrows(NullPointerException.class, () -> healthy.submit(null)).getMessage());
        assertEquals("input", assertThrows(NullPointerException.class, () -> healthy.accept(null)).getMessage());
        assertStillServing();
    }

    @Test
    void oversizePayloadIsRejectedAndNothingIsStored() throws Exception {
        PayloadTooLargeException error = assertThrows(PayloadTooLargeException.class,
                () -> healthy.submit(Input.prompt("x".repeat(1_001))));
        assertEquals(1_000, error.limit());
        assertEquals("payload_too_large", error.code());
        assertEquals(0, healthy.status().activeInputIds().size());
        assertStillServing();
    }

    @Test
    void derivedDurabilityFromAnOperatorIsRejected() throws Exception {
        Input derived = new Input.Prompt(InputHeader.from(InputSource.OPERATOR).withDurability(Durability.DERIVED), "x");
        InputRejectedException error = assertThrows(InputRejectedException.class, () -> healthy.submit(derived));
        assertEquals("input_rejected", error.code());
        assertStillServing();
    }

    @Test
    void resubmittingTheSameInputIdIsRejected() throws Exception {
        SessionHandle queueOnly = runtime.createSession(SessionSpec.withoutExecutor());
        Input input = Input.prompt("once");
        queueOnly.submit(input);
        assertThrows(InputRejectedException.class, () -> queueOnly.submit(input));
        assertEquals(1, queueOnly.status().queueDepth());
        assertStillServing();
    }

    @Test
    void unknownSessionAndUnknownExecutorAreTypedErrors() throws Exception {
        SessionId missing = SessionId.random();
        assertThrows(SessionNotFoundException.class, () -> runtime.sessionOrThrow(missing));
        assertThrows(SessionNotFoundException.class, () -> runtime.removeSession(missing));
        UnknownExecutorException unknown = assertThrows(UnknownExecutorException.class,
                () -> runtime.createSession(SessionSpec.of("no-such-kind")));
        assertEquals("no-such-kind", unknown.kind());
        assertThrows(DuplicateSessionException.class,
                () -> runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withId(healthy.id())));
        assertStillServing();
    }

    @Test
    void submitAfterStopOrDestroyIsRefused() throws Exception {
        SessionHandle stopped = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        stopped.runtimeControl(new io.meerkat.runtime.api.RuntimeControlCommand.Stop());
        SessionHandle destroyed = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        destroyed.destroy();

        assertEquals(RuntimeState.STOPPED,
                assertThrows(RuntimeNotReadyException.class, () -> stopped.submit(Input.prompt("x"))).state());
        assertEquals(RuntimeState.DESTROYED,
                assertThrows(RuntimeNotReadyException.class, () -> destroyed.submit(Input.prompt("x"))).state());
        assertThrows(IllegalTransitionException.class, stopped::reset);
        assertThrows(IllegalTransitionException.class, destroyed::destroy);
        assertStillServing();
    }

    @Test
    void aDuplicateSubmitJoinsTheInFlightInput() throws Exception {
        SessionHandle queueOnly = runtime.createSession(SessionSpec.withoutExecutor());
        InputHeader header = InputHeader.from(InputSource.OPERATOR).withIdempotencyKey("once");
        Submission first = queueOnly.submit(new Input.Prompt(header, "a"));
        Submission again = queueOnly.submit(new Input.Prompt(InputHeader.from(InputSource.OPERATOR)
                .withIdempotencyKey("once"), "b"));

        assertInstanceOf(io.meerkat.runtime.api.AcceptOutcome.Deduplicated.class, again.outcome());
        assertEquals(first.inputId(), again.inputId());
        queueOnly.reset();
        assertInstanceOf(CompletionOutcome.RuntimeTerminated.class, first.completion().get(10, TimeUnit.SECONDS));
        assertInstanceOf(CompletionOutcome.RuntimeTerminated.class, again.completion().get(10, TimeUnit.SECONDS));
    }

    @Test
    void aClosedRuntimeRefusesNewSessions() {
        runtime.close();
        assertThrows(RuntimeClosedException.class, () -> runtime.createSession(SessionSpec.of(TestRuntimes.KIND)));
    }

    @Test
    void aConfigKeyTheFactoryDoesNotDeclareRefusesTheSession() throws Exception {
        int sessions = runtime.sessions().size();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
                runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withConfig(java.util.Map.of("stpes", "5"))));
        assertEquals("executor '" + TestRuntimes.KIND + "': unknown config key 'stpes'; its keys: []", refused.getMessage());
        assertEquals(sessions, runtime.sessions().size(), "no session was created");
        assertEquals(1, factory.all().size(), "the factory was asked only for the healthy session");
        assertStillServing();
    }
}
