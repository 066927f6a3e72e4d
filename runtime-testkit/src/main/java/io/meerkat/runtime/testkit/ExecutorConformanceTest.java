package io.meerkat.runtime.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.ExecutionKind;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunTerminal;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.TurnMetadata;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.RunProgressListener;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Flow;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The executor SPI contract as tests. An executor author extends this class with a factory and four
 * configurations (completing, slow, failing, invalid); each test creates executors the way the runtime
 * does and drives them through the calls of {@link CoreExecutor}'s documented call order, then once
 * inside a real runtime.
 *
 * <pre>{@code
 * class MyExecutorConformanceTest extends ExecutorConformanceTest {
 *     protected ExecutorFactory factory() { return new MyExecutorFactory(); }
 *     protected Map<String, String> completingConfig() { return Map.of(); }
 *     protected Map<String, String> slowConfig() { return Map.of("delayMs", "60000"); }
 *     protected Map<String, String> failingConfig() { return Map.of("failureRate", "1"); }
 *     protected Map<String, String> invalidConfig() { return Map.of("delayMs", "-1"); }
 * }
 * }</pre>
 *
 * What is checked: a run completes with an output for that run (and its output deltas, if it reports any
 * through {@link RunProgressListener#onOutputDelta}, name that run); runs follow one another; a failing
 * run completes its stage exceptionally; {@code apply} returns before a slow run ends (no method
 * blocks); a cancel or a stop ends a run in flight within {@link #patience()}; {@code control} never
 * throws and its stage always completes; {@code close} returns promptly and the executor reports nothing
 * after it (no progress, no output delta); an invalid configuration is refused with {@link
 * IllegalArgumentException}; and inside a runtime, completions, a cancel and a stop resolve every
 * waiter.
 *
 * <p>The kit never hangs on an executor: every call it makes into the SPI ({@code factory()},
 * {@code kind()}, {@code create}, {@code apply}, {@code control}, {@code close}) runs on a kit thread
 * and must return within {@link #patience()}; one that blocks fails the test with a message saying to
 * move the blocking work to {@link ExecutorContext#blockingExecutor()}. Use {@link #prompt(String)}
 * and {@link #create(Map)} in tests of your own.
 */
public abstract class ExecutorConformanceTest {

    private ExecutorService blocking;
    private ExecutorService caller;
    private ExecutorFactory factory;
    private String kind;
    private final RecordingProgress progress = new RecordingProgress();

    /** A fresh factory; called once per test. If it is {@link AutoCloseable}, it is closed after the test. */
    protected abstract ExecutorFactory factory();

    /** A configuration under which a run completes normally, well within {@link #patience()}. */
    protected abstract Map<String, String> completingConfig();

    /** A configuration under which a run takes far longer than {@link #patience()} unless cancelled. */
    protected abstract Map<String, String> slowConfig();

    /** A configuration under which every run fails. */
    protected abstract Map<String, String> failingConfig();

    /** A configuration the factory must refuse with {@link IllegalArgumentException}. */
    protected abstract Map<String, String> invalidConfig();

    /** How long a run, a close or one SPI call may take; 10 s unless overridden. */
    protected Duration patience() {
        return Duration.ofSeconds(10);
    }

    /** How long a run in flight may take to end after a cancel or a stop; {@link #patience()} unless overridden. */
    protected Duration cancelPatience() {
        return patience();
    }

    @BeforeEach
    final void createFactory() {
        blocking = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "conformance-blocking");
            thread.setDaemon(true);
            return thread;
        });
        caller = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "conformance-caller");
            thread.setDaemon(true);
            return thread;
        });
        factory = spi("factory()", this::factory);
        assertNotNull(factory, "factory()");
        kind = spi("kind()", factory::kind);
        assertFalse(kind == null || kind.isBlank(), "kind() names the kind");
    }

    @AfterEach
    final void closeFactory() {
        try {
            if (factory instanceof AutoCloseable closeable) {
                spi("the factory's close()", () -> {
                    closeable.close();
                    return null;
                });
            }
        } finally {
            blocking.shutdownNow();
            caller.shutdownNow();
        }
    }

    @Test
    void aRunCompletesWithAnOutputForThatRun() throws Exception {
        CoreExecutor executor = create(completingConfig());
        try {
            RunId runId = RunId.random();
            RunPrimitive.StagedInput primitive = prompt("hello");
            CoreApplyOutput output = await(apply(executor, runId, primitive), "apply");
            assertNotNull(output, "the stage completes with an output");
            assertEquals(runId, output.receipt().runId(), "the receipt names the run");
            assertEquals(primitive.contributingInputIds(), output.receipt().contributingInputIds(),
                    "the receipt names the inputs applied");
            if (output.terminal() instanceof RunTerminal.Result result) {
                assertNotNull(result.result().text(), "a result has text");
            }
            assertEquals(List.of(), progress.deltasOfOtherRuns(runId),
                    "output deltas name the run they belong to (the runId given to apply)");
        } finally {
            close(executor);
        }
    }

    @Test
    void runsFollowOneAnother() throws Exception {
        CoreExecutor executor = create(completingConfig());
        try {
            for (int i = 0; i < 3; i++) {
                RunId runId = RunId.random();
                assertEquals(runId, await(apply(executor, runId, prompt("turn " + i)), "apply " + i).receipt().runId());
            }
        } finally {
            close(executor);
        }
    }

    @Test
    void aFailingRunCompletesItsStageExceptionally() {
        CoreExecutor executor = create(failingConfig());
        try {
            CompletableFuture<CoreApplyOutput> stage = apply(executor, RunId.random(), prompt("fail")).toCompletableFuture();
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> stage.get(patience().toMillis(), TimeUnit.MILLISECONDS), "the run fails");
            assertNotNull(failure.getCause(), "with a cause");
        } finally {
            close(executor);
        }
    }

    @Test
    void applyReturnsBeforeASlowRunEnds() throws Exception {
        CoreExecutor executor = create(slowConfig());
        try {
            long started = System.nanoTime();
            CompletionStage<CoreApplyOutput> stage = apply(executor, RunId.random(), prompt("slow"));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertNotNull(stage, "apply returns a stage");
            assertFalse(stage.toCompletableFuture().isDone(), "the slow run is still going");
            assertTrue(tookMillis < patience().toMillis() / 2,
                    "apply returned after " + tookMillis + " ms: long work belongs on another thread");
            await(control(executor, new RunControlCommand.CancelCurrentRun("test over")), "cancel");
        } finally {
            close(executor);
        }
    }

    @Test
    void aCancelEndsARunInFlightPromptly() {
        CoreExecutor executor = create(slowConfig());
        try {
            CompletableFuture<CoreApplyOutput> stage = apply(executor, RunId.random(), prompt("slow")).toCompletableFuture();
            CompletionStage<Void> control = control(executor, new RunControlCommand.CancelCurrentRun("changed my mind"));
            assertNotNull(control, "control returns a stage");
            awaitSettled(stage, "the cancelled run", cancelPatience());
            awaitSettled(control.toCompletableFuture(), "the cancel", cancelPatience());
        } finally {
            close(executor);
        }
    }

    @Test
    void aCancelWithNoRunInFlightIsHarmless() throws Exception {
        CoreExecutor executor = create(completingConfig());
        try {
            awaitSettled(control(executor, new RunControlCommand.CancelCurrentRun("nothing to cancel"))
                    .toCompletableFuture(), "the cancel", cancelPatience());
            RunId runId = RunId.random();
            assertEquals(runId, await(apply(executor, runId, prompt("after cancel")), "apply").receipt().runId(),
                    "the next run still completes");
        } finally {
            close(executor);
        }
    }

    @Test
    void aStopEndsARunInFlightAndCloseThenReturnsPromptly() {
        CoreExecutor executor = create(slowConfig());
        CompletableFuture<CoreApplyOutput> stage = apply(executor, RunId.random(), prompt("slow")).toCompletableFuture();
        CompletionStage<Void> stop = control(executor, new RunControlCommand.StopRuntimeExecutor("shutting down"));
        awaitSettled(stage, "the stopped run", cancelPatience());
        awaitSettled(stop.toCompletableFuture(), "the stop", cancelPatience());
        assertDoesNotThrow(() -> close(executor), "close does not throw");
    }

    @Test
    void controlNeverThrowsAndItsStageAlwaysCompletes() {
        CoreExecutor executor = create(completingConfig());
        try {
            List<RunControlCommand> commands = List.of(
                    new RunControlCommand.CancelCurrentRun("first"),
                    new RunControlCommand.StopRuntimeExecutor("stop"),
                    new RunControlCommand.StopRuntimeExecutor("stop again"),
                    new RunControlCommand.CancelCurrentRun("cancel after stop"));
            for (RunControlCommand command : commands) {
                CompletionStage<Void> stage = assertDoesNotThrow(() -> control(executor, command),
                        "control(" + command + ") reports failures through its stage, never by throwing");
                assertNotNull(stage, "control returns a stage");
                awaitSettled(stage.toCompletableFuture(), "control(" + command + ")", cancelPatience());
            }
        } finally {
            close(executor);
        }
    }

    @Test
    void nothingIsReportedAfterClose() throws Exception {
        CoreExecutor executor = create(slowConfig());
        CompletableFuture<CoreApplyOutput> stage = apply(executor, RunId.random(), prompt("slow")).toCompletableFuture();
        awaitSettled(control(executor, new RunControlCommand.CancelCurrentRun("cancel")).toCompletableFuture(), "cancel",
                cancelPatience());
        awaitSettled(stage, "the cancelled run", cancelPatience());
        close(executor);
        progress.closed.set(true);
        // An observation window, not synchronisation: a late report would come from a thread still at work.
        Thread.sleep(Math.min(500, patience().toMillis() / 10));
        assertEquals(0, progress.afterClose.get(), "progress or output reported after close");
    }

    @Test
    void anInvalidConfigurationIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> create(invalidConfig()),
                "the factory refuses " + invalidConfig());
        assertNotNull(refused.getMessage(), "with a message saying what is wrong");
    }

    @Test
    void insideARuntimeEveryWaiterIsResolved() throws Exception {
        MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(factory)
                .completionRegistry(new InMemoryCompletionRegistry())
                .blockingExecutor(blocking)
                .build();
        // Closed through the kit's timeout: a blocked executor must fail the test, not hang the close.
        try (AutoCloseable closing = () -> spi("the runtime's close (it closes the executors)", () -> {
            runtime.close();
            return null;
        })) {
            SessionHandle quick = spi("createSession (the factory's create)",
                    () -> runtime.createSession(SessionSpec.of(kind).withConfig(completingConfig())));
            List<Submission> submissions = List.of(quick.submit(Input.prompt("one")),
                    quick.submit(Input.prompt("two")), quick.submit(Input.prompt("three")));
            for (Submission submission : submissions) {
                CompletionOutcome outcome = await(submission.completion(), "completion");
                assertTrue(outcome instanceof CompletionOutcome.Completed
                        || outcome instanceof CompletionOutcome.CompletedWithoutResult, "completed: " + outcome);
            }

            SessionHandle slow = spi("createSession (the factory's create)",
                    () -> runtime.createSession(SessionSpec.of(kind).withConfig(slowConfig())));
            CompletableFuture<RunId> started = firstRunStarted(slow);
            Submission running = slow.submit(Input.prompt("slow one"));
            await(started, "the slow run to start");
            Submission queued = slow.submit(Input.prompt("slow two"));
            slow.control(new RunControlCommand.CancelCurrentRun("cancelled by the kit"));
            assertInstanceOf(CompletionOutcome.Abandoned.class, await(running.completion(), "cancelled run"));
            slow.control(new RunControlCommand.StopRuntimeExecutor("stopped by the kit"));
            CompletionOutcome last = await(queued.completion(), "queued input after stop");
            assertTrue(last instanceof CompletionOutcome.RuntimeTerminated || last instanceof CompletionOutcome.Abandoned,
                    "the queued input is resolved: " + last);
        }
    }

    /** Creates an executor as the runtime would, for a fresh session; fails if {@code create} blocks. */
    protected final CoreExecutor create(Map<String, String> config) {
        ExecutorContext context = new ExecutorContext(SessionId.random(), kind, config, blocking, progress);
        return spi("create(" + config + ")", () -> factory.create(context));
    }

    /** Calls {@code apply} as the runtime would; fails if it blocks instead of returning its stage. */
    protected final CompletionStage<CoreApplyOutput> apply(CoreExecutor executor, RunId runId, RunPrimitive primitive) {
        return spi("apply", () -> executor.apply(runId, primitive));
    }

    /** Calls {@code control} as the runtime would; fails if it blocks instead of returning its stage. */
    protected final CompletionStage<Void> control(CoreExecutor executor, RunControlCommand command) {
        return spi("control(" + command + ")", () -> executor.control(command));
    }

    /** Calls {@code close}; fails if it does not return within {@link #patience()}. */
    protected final void close(CoreExecutor executor) {
        spi("close", () -> {
            executor.close();
            return null;
        });
    }

    /**
     * Runs one call into the executor's code on a kit thread and waits {@link #patience()} for it to
     * return: the runtime calls the SPI from threads that must never block, and a kit that hangs
     * teaches nothing. A call that does not return is interrupted and the test fails saying what to do.
     */
    private <T> T spi(String call, java.util.concurrent.Callable<T> body) {
        java.util.concurrent.Future<T> result = caller.submit(body);
        try {
            return result.get(patience().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            throw new AssertionError(call + " did not return within " + patience().toMillis() + " ms: the runtime "
                    + "calls the SPI on threads that must not block. Return at once and do the blocking work on "
                    + "context.blockingExecutor() (or your own thread), completing the stage from there.");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new AssertionError(call + " threw " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + call, e);
        }
    }

    /** A staged prompt of one user message, as the runtime hands it to {@code apply}. */
    protected static RunPrimitive.StagedInput prompt(String text) {
        return new RunPrimitive.StagedInput(RunBoundary.RUN_START,
                List.of(new ConversationAppend(ConversationAppend.Role.USER, text)), List.of(),
                List.of(InputId.random()), new TurnMetadata(ExecutionKind.CONTENT_TURN, List.of(), Map.of()));
    }

    private <T> T await(CompletionStage<T> stage, String what) throws Exception {
        try {
            return stage.toCompletableFuture().get(patience().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not complete within " + patience().toMillis() + " ms", e);
        }
    }

    /** Waits until the stage completes, normally or not. */
    private void awaitSettled(CompletableFuture<?> stage, String what, Duration within) {
        try {
            stage.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            fail(what + " did not complete within " + within.toMillis() + " ms");
        } catch (ExecutionException | java.util.concurrent.CancellationException expected) {
            // Settled exceptionally, which the contract allows here.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while waiting for " + what);
        }
    }

    /** Completes with the id of the session's first run, once it has started. */
    private static CompletableFuture<RunId> firstRunStarted(SessionHandle session) {
        CompletableFuture<RunId> started = new CompletableFuture<>();
        session.events().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(RuntimeEventEnvelope envelope) {
                if (envelope.event() instanceof RuntimeEvent.RunLifecycle lifecycle
                        && lifecycle.event() instanceof RunEvent.RunStarted run) {
                    started.complete(run.runId());
                }
            }

            @Override
            public void onError(Throwable error) {
                started.completeExceptionally(error);
            }

            @Override
            public void onComplete() {
                started.completeExceptionally(new AssertionError("the session ended before a run started"));
            }
        });
        return started;
    }

    /** Counts progress reports and output deltas, and those made after the executor was closed. */
    private static final class RecordingProgress implements RunProgressListener {
        final AtomicBoolean closed = new AtomicBoolean();
        final AtomicInteger reports = new AtomicInteger();
        final AtomicInteger afterClose = new AtomicInteger();
        private final List<RunId> deltaRuns = new CopyOnWriteArrayList<>();

        @Override
        public void onProgress(RunId runId, String message) {
            reported();
        }

        @Override
        public void onOutputDelta(RunId runId, String text) {
            deltaRuns.add(runId);
            reported();
        }

        private void reported() {
            reports.incrementAndGet();
            if (closed.get()) {
                afterClose.incrementAndGet();
            }
        }

        /** The runs other than {@code runId} that output deltas named. */
        List<RunId> deltasOfOtherRuns(RunId runId) {
            return deltaRuns.stream().filter(run -> !run.equals(runId)).toList();
        }
    }
}
