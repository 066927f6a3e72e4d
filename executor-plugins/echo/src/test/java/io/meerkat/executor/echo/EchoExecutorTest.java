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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The echo executor's own settings: template, delay, seeded failures. */
class EchoExecutorTest {

    private final EchoExecutorFactory factory = new EchoExecutorFactory();

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    private CoreExecutor echo(Map<String, String> config) {
        return factory.create(new ExecutorContext(SessionId.random(), EchoExecutorFactory.KIND, config, Runnable::run));
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
        assertEquals(List.of("delayMs", "failureRate", "seed", "template"),
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
