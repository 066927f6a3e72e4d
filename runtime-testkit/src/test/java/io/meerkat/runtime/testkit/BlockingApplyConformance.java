package io.meerkat.runtime.testkit;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;

/**
 * The beginner's executor: {@code apply} does its (endless) work on the caller's thread instead of
 * returning a stage. Not run by itself (the name does not end in {@code Test}): {@link ConformanceKitTest}
 * runs it through the JUnit engine and checks how the kit fails.
 */
class BlockingApplyConformance extends ExecutorConformanceTest {

    static final Duration PATIENCE = Duration.ofMillis(500);

    @Override
    protected ExecutorFactory factory() {
        return new ExecutorFactory() {
            @Override
            public String kind() {
                return "blocking";
            }

            @Override
            public CoreExecutor create(ExecutorContext context) {
                if (context.config().containsKey("invalid")) {
                    throw new IllegalArgumentException("executor 'blocking': config 'invalid' is not allowed");
                }
                return new CoreExecutor() {
                    @Override
                    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
                        try {
                            // The mistake: waits on the caller's thread (here until the kit interrupts it).
                            new CountDownLatch(1).await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return CompletableFuture.completedFuture(
                                CoreApplyOutput.completed(runId, primitive, RunResult.of("too late")));
                    }

                    @Override
                    public CompletionStage<Void> control(RunControlCommand command) {
                        return CompletableFuture.completedFuture(null);
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    @Override
    protected Map<String, String> completingConfig() {
        return Map.of();
    }

    @Override
    protected Map<String, String> slowConfig() {
        return Map.of();
    }

    @Override
    protected Map<String, String> failingConfig() {
        return Map.of();
    }

    @Override
    protected Map<String, String> invalidConfig() {
        return Map.of("invalid", "yes");
    }

    @Override
    protected Duration patience() {
        return PATIENCE;
    }
}
