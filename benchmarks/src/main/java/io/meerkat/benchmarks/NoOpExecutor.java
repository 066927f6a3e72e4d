package io.meerkat.benchmarks;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

/**
 * An executor that does nothing: every run completes at once with one shared {@link RunResult}, every
 * control command is acknowledged at once. What remains is the runtime's own cost.
 */
final class NoOpExecutor implements CoreExecutor {

    static final String KIND = "noop";
    static final RunResult RUN_RESULT = RunResult.of("ok");
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** The factory for {@link #KIND}; stateless, so one instance serves every session. */
    static final ExecutorFactory FACTORY = new ExecutorFactory() {
        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            return new NoOpExecutor();
        }
    };

    /** As {@link #FACTORY}, with executors that count their runs in {@code runs}. */
    static ExecutorFactory countingRuns(LongAdder runs) {
        return new ExecutorFactory() {
            @Override
            public String kind() {
                return KIND;
            }

            @Override
            public CoreExecutor create(ExecutorContext context) {
                return new NoOpExecutor(runs);
            }
        };
    }

    /** Counts runs, or {@code null}. */
    private final LongAdder runs;

    NoOpExecutor() {
        this(null);
    }

    private NoOpExecutor(LongAdder runs) {
        this.runs = runs;
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        if (runs != null) {
            runs.increment();
        }
        return CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive, RUN_RESULT));
    }

    @Override
    public CompletionStage<Void> control(RunControlCommand command) {
        return DONE;
    }

    @Override
    public void close() {
    }
}
