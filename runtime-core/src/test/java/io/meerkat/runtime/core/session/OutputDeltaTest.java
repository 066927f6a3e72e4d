package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.RunProgressListener;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.testing.EventRecorder;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** An executor's output deltas become {@link RunEvent.OutputDelta} events of its run, in order, and never after its end. */
class OutputDeltaTest {

    private static final String KIND = "held";

    /** Hands out one held executor per session and keeps the listener it was given. */
    private static final class HeldFactory implements ExecutorFactory {
        volatile ScriptedExecutor executor;
        volatile RunProgressListener listener;

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            executor = new ScriptedExecutor(ScriptedExecutor.Mode.HOLD);
            listener = context.progress();
            return executor;
        }
    }

    private static MeerkatRuntime runtime(HeldFactory factory) {
        return MeerkatRuntimeBuilder.newBuilder()
                .completionRegistry(new InMemoryCompletionRegistry())
                .executorFactory(factory)
                .build();
    }

    @Test
    void deltasArePublishedInOrderInsideTheRunAndItsCompletionCarriesTheResult() throws Exception {
        HeldFactory factory = new HeldFactory();
        try (MeerkatRuntime runtime = runtime(factory)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(KIND));
            EventRecorder recorder = new EventRecorder();
            session.events().subscribe(recorder);
            Submission submission = session.submit(Input.prompt("work"));
            ScriptedExecutor.PendingApply apply = factory.executor.nextApply();
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                sent.add("d" + i + " ");
                factory.listener.onOutputDelta(apply.runId(), "d" + i + " ");
                if (i == 100) {
                    factory.listener.onOutputDelta(apply.runId(), "");
                    factory.listener.onOutputDelta(RunId.random(), "not this run");
                    factory.listener.onProgress(apply.runId(), "half way");
                }
            }
            apply.complete("the result");
            assertEquals(new CompletionOutcome.Completed(RunResult.of("the result")),
                    submission.completion().get(10, TimeUnit.SECONDS));
            factory.listener.onOutputDelta(apply.runId(), "too late");
            session.control(new RunControlCommand.StopRuntimeExecutor("test over"));

            List<RunEvent> run = recorder.runEvents(10);
            assertEquals(new RunEvent.RunStarted(apply.runId(), List.of(submission.inputId())), run.get(0));
            List<String> deltas = run.stream().filter(RunEvent.OutputDelta.class::isInstance)
                    .map(event -> ((RunEvent.OutputDelta) event).text()).toList();
            assertEquals(sent, deltas, "every non-empty delta of the run, in order; none of another run, none late");
            assertInstanceOf(RunEvent.RunProgress.class, run.get(102), "progress keeps its place among the deltas");
            assertEquals(new RunEvent.RunCompleted(apply.runId(), List.of(submission.inputId()),
                    new CompletionOutcome.Completed(RunResult.of("the result"))), run.get(run.size() - 1));
            assertEquals(1 + 200 + 1 + 1 + 1, run.size(), "started, deltas, progress, boundary applied, completed");
        }
    }

    @Test
    void aDeltaAfterACancelIsDropped() throws Exception {
        HeldFactory factory = new HeldFactory();
        try (MeerkatRuntime runtime = runtime(factory)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(KIND));
            EventRecorder recorder = new EventRecorder();
            session.events().subscribe(recorder);
            Submission submission = session.submit(Input.prompt("work"));
            ScriptedExecutor.PendingApply apply = factory.executor.nextApply();
            factory.listener.onOutputDelta(apply.runId(), "before");
            session.control(new RunControlCommand.CancelCurrentRun("changed my mind"));
            assertInstanceOf(CompletionOutcome.Abandoned.class, submission.completion().get(10, TimeUnit.SECONDS));
            factory.listener.onOutputDelta(apply.runId(), "after the cancel");
            session.control(new RunControlCommand.StopRuntimeExecutor("test over"));
            factory.listener.onOutputDelta(apply.runId(), "after the stop");

            List<RunEvent> run = recorder.runEvents(10);
            assertEquals(List.of(new RunEvent.RunStarted(apply.runId(), List.of(submission.inputId())),
                    new RunEvent.OutputDelta(apply.runId(), "before"),
                    new RunEvent.RunCancelled(apply.runId(), "changed my mind")), run);
        }
    }

    /** A report naming no run (an executor's bug, or one reporting between runs) is dropped, idle or not. */
    @Test
    void aReportNamingNoRunIsDropped() throws Exception {
        HeldFactory factory = new HeldFactory();
        try (MeerkatRuntime runtime = runtime(factory)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(KIND));
            EventRecorder recorder = new EventRecorder();
            session.events().subscribe(recorder);
            factory.listener.onOutputDelta(null, "while idle");
            factory.listener.onProgress(null, "while idle");
            Submission submission = session.submit(Input.prompt("work"));
            ScriptedExecutor.PendingApply apply = factory.executor.nextApply();
            factory.listener.onOutputDelta(null, "during a run");
            apply.complete("done");
            assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), submission.completion().get(10, TimeUnit.SECONDS));
            session.control(new RunControlCommand.StopRuntimeExecutor("test over"));

            List<RunEvent> run = recorder.runEvents(10);
            assertEquals(List.of(), run.stream().filter(event -> event instanceof RunEvent.OutputDelta
                    || event instanceof RunEvent.RunProgress).toList());
        }
    }

    /**
     * Races deltas from an executor thread with the run's completion: whatever is published is a prefix
     * of what was sent, in order, and nothing follows the completion. 400 deltas fit the subscriber's
     * buffer (1024), so none is lost to a slow subscriber.
     */
    @RepeatedTest(5)
    void deltasRacingTheRunsEndNeverFollowIt() throws Exception {
        HeldFactory factory = new HeldFactory();
        try (MeerkatRuntime runtime = runtime(factory)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(KIND));
            EventRecorder recorder = new EventRecorder();
            session.events().subscribe(recorder);
            Submission submission = session.submit(Input.prompt("work"));
            ScriptedExecutor.PendingApply apply = factory.executor.nextApply();
            CountDownLatch halfSent = new CountDownLatch(1);
            CompletableFuture<Void> emitter = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 400; i++) {
                    factory.listener.onOutputDelta(apply.runId(), Integer.toString(i));
                    if (i == 200) {
                        halfSent.countDown();
                    }
                }
            });
            assertTrue(halfSent.await(10, TimeUnit.SECONDS));
            apply.complete("done");
            submission.completion().get(10, TimeUnit.SECONDS);
            emitter.get(10, TimeUnit.SECONDS);
            session.control(new RunControlCommand.StopRuntimeExecutor("test over"));

            List<RunEvent> run = recorder.runEvents(10);
            assertInstanceOf(RunEvent.RunCompleted.class, run.get(run.size() - 1), "the completion ends the run: " + run);
            List<String> deltas = run.stream().filter(RunEvent.OutputDelta.class::isInstance)
                    .map(event -> ((RunEvent.OutputDelta) event).text()).toList();
            assertTrue(deltas.size() > 200, "the deltas sent before the completion: " + deltas.size());
            for (int i = 0; i < deltas.size(); i++) {
                assertEquals(Integer.toString(i), deltas.get(i), "in order, without a gap");
            }
        }
    }
}
