package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.PermanentFailureException;
import io.meerkat.runtime.api.spi.RunObserver;
import io.meerkat.runtime.core.testing.ManualDelays;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The runtime's {@link RunObserver} hears each run start and end with how it ended, and each session's
 * end; one that throws changes nothing the session does.
 */
class RunObserverTest {

    private static final Duration LIMIT = Duration.ofSeconds(30);

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ManualDelays delays = new ManualDelays();
    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));

    /** What the observer heard, as text; calls come under the session's lock, one at a time per session. */
    private static final class Recorder implements RunObserver {
        final List<String> heard = new ArrayList<>();

        @Override
        public synchronized void runStarted(SessionId sessionId, RunId runId) {
            heard.add("started " + runId);
        }

        @Override
        public synchronized void runEnded(SessionId sessionId, RunId runId, RunEnd end) {
            heard.add("ended " + runId + " " + end);
        }

        @Override
        public synchronized void sessionClosed(SessionId sessionId) {
            heard.add("closed " + sessionId);
        }

        synchronized List<String> heard() {
            return List.copyOf(heard);
        }
    }

    @Test
    void hearsEveryRunStartAndEndWithHowItEndedThenTheSessionsEnd() throws Exception {
        Recorder observer = new Recorder();
        MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).delayScheduler(delays)
                .runObserver(observer).build();
        try {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withMaxRunDuration(LIMIT));
            ScriptedExecutor executor = factory.executorOf(session.id());
            List<String> expected = new ArrayList<>();

            Submission completed = session.submit(Input.prompt("completes"));
            scheduler.runAll();
            ScriptedExecutor.PendingApply running = executor.nextApply();
            RunId first = running.runId();
            expected.add("started " + first);
            assertEquals(expected, observer.heard(), "told as the run starts");
            running.complete("done");
            scheduler.runAll();
            expected.add("ended " + first + " COMPLETED");
            assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), completed.completion().getNow(null));

            session.submit(Input.prompt("fails"));
            scheduler.runAll();
            ScriptedExecutor.PendingApply failing = executor.nextApply();
            failing.result().completeExceptionally(new CompletionException(new PermanentFailureException("400")));
            scheduler.runAll();
            expected.add("started " + failing.runId());
            expected.add("ended " + failing.runId() + " FAILED");

            Submission cancelled = session.submit(Input.prompt("cancelled"));
            scheduler.runAll();
            RunId third = executor.nextApply().runId();
            session.control(new RunControlCommand.CancelCurrentRun("user"));
            scheduler.runAll();
            assertInstanceOf(CompletionOutcome.Abandoned.class, cancelled.completion().getNow(null));
            expected.add("started " + third);
            expected.add("ended " + third + " CANCELLED");

            session.submit(Input.prompt("too slow"));
            scheduler.runAll();
            RunId fourth = executor.nextApply().runId();
            delays.fireAll();
            scheduler.runAll();
            expected.add("started " + fourth);
            expected.add("ended " + fourth + " TIMED_OUT");

            Submission cutShort = session.submit(Input.prompt("cut short by the destroy"));
            scheduler.runAll();
            RunId fifth = executor.nextApply().runId();
            session.destroy();
            scheduler.runAll();
            assertInstanceOf(CompletionOutcome.RuntimeTerminated.class, cutShort.completion().get(10, TimeUnit.SECONDS));
            expected.add("started " + fifth);
            expected.add("closed " + session.id());
            assertEquals(expected, observer.heard());
        } finally {
            scheduler.autoRun();
            runtime.close();
        }
    }

    @Test
    void anObserverThatThrowsChangesNothingTheSessionDoes() throws Exception {
        RunObserver broken = new RunObserver() {
            @Override
            public void runStarted(SessionId sessionId, RunId runId) {
                throw new IllegalStateException("observer bug: start");
            }

            @Override
            public void runEnded(SessionId sessionId, RunId runId, RunEnd end) {
                // An Error, not an exception: thrown as the run commits, it would leave its waiters unresolved.
                throw new AssertionError("observer bug: end");
            }

            @Override
            public void sessionClosed(SessionId sessionId) {
                throw new IllegalStateException("observer bug: closed");
            }
        };
        TestRuntimes.RecordingFactory echoes =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        try (MeerkatRuntime runtime = TestRuntimes.builder(echoes, registry).runObserver(broken).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            for (int i = 0; i < 20; i++) {
                assertEquals(new CompletionOutcome.Completed(RunResult.of("echo " + i)),
                        session.submit(Input.prompt("echo " + i)).completion().get(10, TimeUnit.SECONDS));
            }
            assertTrue(session.destroy().state().isTerminal(), "the session still ends");
        }
    }
}
