package io.meerkat.executor.echo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.ExecutionKind;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunTerminal;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.TurnMetadata;
import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The echo executor's own settings: template, delay, seeded failures, streamed chunks. */
class EchoExecutorTest {

    private final EchoExecutorFactory factory = new EchoExecutorFactory();

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    /** Every output delta reported, as {@code runId: text}. */
    private final List<String> deltas = new CopyOnWriteArrayList<>();
    /** One permit per delta reported. */
    private final Semaphore reported = new Semaphore(0);
    private final RunProgressListener listener = new RunProgressListener() {
        @Override
        public void onProgress(RunId runId, String message) {
        }

        @Override
        public void onOutputDelta(RunId runId, String text) {
            deltas.add(runId + ": " + text);
            reported.release();
        }
    };

    private CoreExecutor echo(Map<String, String> config) {
        return factory.create(new ExecutorContext(SessionId.random(), EchoExecutorFactory.KIND, config, Runnable::run,
                listener));
    }

    private List<String> deltasOf(RunId runId) {
        return deltas.stream().filter(delta -> delta.startsWith(runId + ": "))
                .map(delta -> delta.substring(runId.toString().length() + 2)).toList();
    }

    private static RunPrimitive prompt(String... texts) {
        List<ConversationAppend> appends = new ArrayList<>();
        List<InputId> inputs = new ArrayList<>();
        for (String text : texts) {
            appends.add(new ConversationAppend(ConversationAppend.Role.USER, text));
            inputs.add(InputId.random());
        }
        return new RunPrimitive.StagedInput(RunBoundary.RUN_START, appends, List.of(), inputs,
                new TurnMetadata(ExecutionKind.CONTENT_TURN, List.of(), Map.of()));
    }

    private static String replyOf(CoreApplyOutput output) {
        return assertInstanceOf(RunTerminal.Result.class, output.terminal()).result().text();
    }

    @Test
    void repliesWithTheTextOfEveryAppendPutIntoTheTemplate() throws Exception {
        CoreExecutor executor = echo(Map.of("template", "you said: {text}"));
        CoreApplyOutput output = executor.apply(RunId.random(), prompt("one", "two")).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertEquals("you said: one\ntwo", replyOf(output));
        assertEquals("echo", assertInstanceOf(RunTerminal.Result.class, output.terminal()).result().attributes().get("executor"));
    }

    @Test
    void theReplyIsOneOutputDeltaByDefaultReportedBeforeTheRunCompletes() {
        CoreExecutor executor = echo(Map.of("template", "re: {text}"));
        RunId runId = RunId.random();
        CompletableFuture<CoreApplyOutput> run = executor.apply(runId, prompt("hi")).toCompletableFuture();
        assertEquals(List.of("re: hi"), deltasOf(runId));
        assertEquals("re: hi", replyOf(run.join()));
    }

    @Test
    void theReplyIsStreamedInChunksThatAddUpToItNeverSplittingACharacter() {
        CoreExecutor executor = echo(Map.of("chunks", "3"));
        RunId runId = RunId.random();
        executor.apply(runId, prompt("a\uD83D\uDE00b")).toCompletableFuture().join();
        assertEquals(List.of("a", "\uD83D\uDE00", "b"), deltasOf(runId));
        RunId longer = RunId.random();
        String reply = replyOf(executor.apply(longer, prompt("0123456789")).toCompletableFuture().join());
        assertEquals(List.of("012", "345", "6789"), deltasOf(longer));
        assertEquals(reply, String.join("", deltasOf(longer)));
        RunId shorter = RunId.random();
        executor.apply(shorter, prompt("ab")).toCompletableFuture().join();
        assertEquals(List.of("a", "b"), deltasOf(shorter), "no more chunks than characters");
        RunId empty = RunId.random();
        executor.apply(empty, prompt("")).toCompletableFuture().join();
        assertEquals(List.of(), deltasOf(empty), "an empty reply streams nothing");
    }

    @Test
    void delayedChunksAreSpreadOverTheDelayAndAllReportedBeforeTheRunCompletes() throws Exception {
        CoreExecutor executor = echo(Map.of("chunks", "5", "delayMs", "50"));
        RunId runId = RunId.random();
        long started = System.nanoTime();
        CompletableFuture<List<String>> seenAtCompletion = executor.apply(runId, prompt("abcdefghij"))
                .toCompletableFuture().thenApply(output -> deltasOf(runId));
        assertEquals(List.of("ab", "cd", "ef", "gh", "ij"), seenAtCompletion.get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(50), "the run took its delay");
    }

    @Test
    void aFailingRunStreamsNothing() {
        CoreExecutor executor = echo(Map.of("failureRate", "1", "chunks", "4"));
        RunId runId = RunId.random();
        assertTrue(executor.apply(runId, prompt("doomed")).toCompletableFuture().isCompletedExceptionally());
        assertEquals(List.of(), deltasOf(runId));
    }

    @Test
    void noDeltaFollowsACancel() throws Exception {
        CoreExecutor executor = echo(Map.of("chunks", "100", "delayMs", "200"));
        RunId cancelled = RunId.random();
        CompletableFuture<CoreApplyOutput> run = executor.apply(cancelled, prompt("x".repeat(100))).toCompletableFuture();
        assertTrue(reported.tryAcquire(3, 5, TimeUnit.SECONDS), "three deltas streamed");
        executor.control(new RunControlCommand.CancelCurrentRun("enough"));
        int streamed = deltasOf(cancelled).size();
        assertTrue(run.isCompletedExceptionally());
        assertTrue(streamed >= 3 && streamed < 100, "cancelled mid-stream after " + streamed + " deltas");
        // The next run's steps follow the cancelled run's on the factory's one timer thread: when it has
        // completed, any step of the cancelled run that was still to come has had its turn.
        RunId next = RunId.random();
        executor.apply(next, prompt("next")).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(streamed, deltasOf(cancelled).size(), "nothing after the cancel");
        assertEquals("next", String.join("", deltasOf(next)));
    }

    @Test
    void theSameSeedFailsTheSameRuns() {
        List<Boolean> first = failures(echo(Map.of("failureRate", "0.5", "seed", "42")));
        List<Boolean> second = failures(echo(Map.of("failureRate", "0.5", "seed", "42")));
        assertEquals(first, second);
        assertTrue(first.contains(true) && first.contains(false), "a rate of 0.5 fails some runs, not all: " + first);
    }

    private static List<Boolean> failures(CoreExecutor executor) {
        List<Boolean> failed = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            failed.add(executor.apply(RunId.random(), prompt("x")).toCompletableFuture().isCompletedExceptionally());
        }
        return failed;
    }

    @Test
    void aCancelEndsTheDelayAtOnce() {
        CoreExecutor executor = echo(Map.of("delayMs", "600000"));
        CompletableFuture<CoreApplyOutput> run = executor.apply(RunId.random(), prompt("slow")).toCompletableFuture();
        executor.control(new RunControlCommand.CancelCurrentRun("enough"));
        assertTrue(run.isDone(), "completed by the control call itself");
        Throwable failure = run.handle((output, error) -> error).join();
        assertInstanceOf(CancellationException.class, failure);
        assertEquals("enough", failure.getMessage());
    }

    @Test
    void aDelayedRunCompletesAfterItsDelay() throws Exception {
        CoreExecutor executor = echo(Map.of("delayMs", "20"));
        assertEquals("later", replyOf(executor.apply(RunId.random(), prompt("later")).toCompletableFuture()
                .get(5, TimeUnit.SECONDS)));
    }

    @Test
    void invalidSettingsAreRefusedWithTheKeyAndTheValue() {
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> echo(Map.of("failureRate", "2")));
        assertEquals("executor 'echo': config 'failureRate' must be between 0.0 and 1.0, was '2'", rate.getMessage());
        IllegalArgumentException delay = assertThrows(IllegalArgumentException.class,
                () -> echo(Map.of("delayMs", "soon")));
        assertEquals("executor 'echo': config 'delayMs' must be a whole number, was 'soon'", delay.getMessage());
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                () -> echo(Map.of("delayMs", "1000000000000000000")));
        assertEquals("executor 'echo': config 'delayMs' must be between 0 and 3600000, was '1000000000000000000'",
                huge.getMessage());
    }

    @Test
    void aTemplateCannotMultiplyTheInput() {
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class,
                () -> echo(Map.of("template", "{text}".repeat(5))));
        assertEquals("executor 'echo': config 'template' may hold {text} at most 4 times, held it 5", many.getMessage());
        IllegalArgumentException longOne = assertThrows(IllegalArgumentException.class,
                () -> echo(Map.of("template", "x".repeat(1_025))));
        assertEquals("executor 'echo': config 'template' must be at most 1024 characters, was 1025", longOne.getMessage());
        echo(Map.of("template", "{text} {text} {text} {text}"));
    }

    @Test
    void everyKeyIsDeclaredClientSettable() {
        assertEquals(List.of("delayMs", "failureRate", "seed", "template", "chunks"),
                new EchoExecutorFactory().configKeys().stream().map(ConfigKey::name).toList());
        assertTrue(new EchoExecutorFactory().configKeys().stream().allMatch(key -> key.owner() == ConfigKey.Owner.CLIENT));
    }

    @Test
    void afterTheFactoryIsClosedADelayedRunFailsWithAClearReason() {
        CoreExecutor executor = echo(Map.of("delayMs", "10"));
        factory.close();
        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> executor.apply(RunId.random(), prompt("x")).toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertEquals("echo executor is shut down", failure.getCause().getMessage());
    }
}
