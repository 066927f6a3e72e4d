package io.meerkat.benchmarks.plugin;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The executor factory packed into the generated benchmark plugins ({@link BenchPlugins}). Every plugin
 * carries these same class files; its kind comes from the {@value #KIND_RESOURCE} resource of its own
 * jar, so ten plugins serve ten kinds. Its executor does nothing, like the benchmarks' no-op executor.
 */
public final class BenchExecutorFactory implements ExecutorFactory {

    /** The resource naming a plugin's kind. */
    public static final String KIND_RESOURCE = "bench-kind.txt";

    private final String kind;

    public BenchExecutorFactory() {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(KIND_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(KIND_RESOURCE + " is missing from the plugin");
            }
            kind = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        return new Executor();
    }

    /** Completes every run at once. */
    static final class Executor implements CoreExecutor {
        private static final RunResult RESULT = RunResult.of("ok");

        @Override
        public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
            return CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive, RESULT));
        }

        @Override
        public CompletionStage<Void> control(RunControlCommand command) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
        }
    }
}
