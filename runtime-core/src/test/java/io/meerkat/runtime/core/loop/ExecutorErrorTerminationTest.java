package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 4: an executor that throws an {@link Error} (a {@code NoClassDefFoundError} once its
 * plugin is unloaded) from {@code close()} or {@code control()} still lets its loop end: termination
 * completes and the event stream is closed, so {@code runtime.close()} does not wait for its timeout.
 */
class ExecutorErrorTerminationTest {

    /** Which call throws. */
    enum Throwing { CLOSE, CONTROL }

    @Test
    void anErrorFromCloseStillEndsTheLoop() throws Exception {
        assertLoopEnds(Throwing.CLOSE);
    }

    @Test
    void anErrorFromControlStillEndsTheLoop() throws Exception {
        assertLoopEnds(Throwing.CONTROL);
    }

    private static void assertLoopEnds(Throwing throwing) throws Exception {
        var factory = new UnloadedFactory(throwing);
        MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(factory)
                .completionRegistry(new InMemoryCompletionRegistry()).shutdownTimeoutMillis(15_000).build();
        SessionHandle session = runtime.createSession(SessionSpec.of("unloaded"));
        session.submit(Input.prompt("one")).completion().get(10, TimeUnit.SECONDS);
        CompletableFuture<Void> streamClosed = new CompletableFuture<>();
        session.events().subscribe(new Flow.Subscriber<RuntimeEventEnvelope>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(RuntimeEventEnvelope item) {
            }

            @Override
            public void onError(Throwable failure) {
                streamClosed.completeExceptionally(failure);
            }

            @Override
            public void onComplete() {
                streamClosed.complete(null);
            }
        });

        long started = System.nanoTime();
        runtime.close();
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertTrue(tookMillis < 10_000, "runtime.close() waited " + tookMillis + " ms for a loop that never ended");
        streamClosed.get(10, TimeUnit.SECONDS);
        assertEquals(1, factory.closeCalls.get(), "close is still called once");
    }

    /** Creates echo executors whose classes are "gone": close() or control() throws NoClassDefFoundError. */
    private static final class UnloadedFactory implements ExecutorFactory {
        final Throwing throwing;
        final AtomicInteger closeCalls = new AtomicInteger();

        UnloadedFactory(Throwing throwing) {
            this.throwing = throwing;
        }

        @Override
        public String kind() {
            return "unloaded";
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            ScriptedExecutor echo = new ScriptedExecutor(ScriptedExecutor.Mode.ECHO);
            return new CoreExecutor() {
                @Override
                public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
                    return echo.apply(runId, primitive);
                }

                @Override
                public CompletionStage<Void> control(RunControlCommand command) {
                    if (throwing == Throwing.CONTROL) {
                        throw new NoClassDefFoundError("io/example/plugin/Gone");
                    }
                    return echo.control(command);
                }

                @Override
                public void close() {
                    closeCalls.incrementAndGet();
                    if (throwing == Throwing.CLOSE) {
                        throw new NoClassDefFoundError("io/example/plugin/Gone");
                    }
                }
            };
        }
    }
}
