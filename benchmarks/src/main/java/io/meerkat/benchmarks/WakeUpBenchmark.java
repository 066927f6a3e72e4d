package io.meerkat.benchmarks;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How often the shared scheduler is asked to run a session's loop, per input and per run, with 1, 100
 * and 10,000 sessions: the work {@code ThroughputBenchmark.runtimeEventsManySessions} does, counted.
 *
 * <p>The runtime gets the scheduler the builder would make itself (a FIFO {@link ForkJoinPool}, one thread
 * per core) behind an {@link Executor} that counts every {@code execute}: one per wake-up of an idle loop
 * (and one per pass that used up its {@code loopThroughput} and yields). The no-op executor counts its runs.
 * Besides items/s, JMH reports the counters of each iteration as totals ({@link AuxCounters}): divide
 * {@code wakeUps} by {@code inputs} for wake-ups per input, {@code wakeUps} by {@code runs} for wake-ups
 * per run (a run takes one batch).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(WakeUpBenchmark.ITEMS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class WakeUpBenchmark {

    static final int ITEMS = 100_000;

    /** The counters JMH reports with each iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Counts {
        public long inputs;
        public long wakeUps;
        public long runs;
    }

    /** {@code sessions} sessions on one runtime whose scheduler and executor count. */
    @State(Scope.Benchmark)
    public static class Sessions {
        @Param({"1", "100", "10000"})
        int sessions;

        final LongAdder executes = new LongAdder();
        final LongAdder applies = new LongAdder();
        ForkJoinPool pool;
        InMemoryCompletionRegistry registry;
        MeerkatRuntime runtime;
        SessionHandle[] handles;
        @SuppressWarnings("unchecked")
        CompletableFuture<CompletionOutcome>[] last = new CompletableFuture[0];

        @Setup(Level.Iteration)
        @SuppressWarnings("unchecked")
        public void open() {
            pool = new ForkJoinPool(Runtime.getRuntime().availableProcessors(),
                    ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
            Executor counting = task -> {
                executes.increment();
                pool.execute(task);
            };
            ExecutorFactory factory = new ExecutorFactory() {
                @Override
                public String kind() {
                    return NoOpExecutor.KIND;
                }

                @Override
                public CoreExecutor create(ExecutorContext context) {
                    return new CountingNoOp(applies);
                }
            };
            registry = new InMemoryCompletionRegistry();
            runtime = MeerkatRuntimeBuilder.newBuilder()
                    .executorFactory(factory)
                    .completionRegistry(registry)
                    .scheduler(counting)
                    .finishedInputRetention(16)
                    .maxQueuedInputs(ITEMS)
                    .build();
            handles = new SessionHandle[sessions];
            for (int i = 0; i < sessions; i++) {
                handles[i] = runtime.createSession(SessionSpec.of(NoOpExecutor.KIND));
            }
            last = new CompletableFuture[sessions];
        }

        @TearDown(Level.Iteration)
        public void close() {
            runtime.close();
            registry.close();
            pool.shutdown();
        }
    }

    /** {@link NoOpExecutor}, counting its runs. */
    static final class CountingNoOp implements CoreExecutor {
        private final LongAdder applies;

        CountingNoOp(LongAdder applies) {
            this.applies = applies;
        }

        @Override
        public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
            applies.increment();
            return CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive, NoOpExecutor.RUN_RESULT));
        }

        @Override
        public CompletionStage<Void> control(RunControlCommand command) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
        }
    }

    /** External events round-robin over the sessions, then every session's last completion joined. */
    @Benchmark
    public int eventsManySessions(Sessions state, Counts counts) {
        long executesBefore = state.executes.sum();
        long appliesBefore = state.applies.sum();
        SessionHandle[] handles = state.handles;
        CompletableFuture<CompletionOutcome>[] last = state.last;
        int n = handles.length;
        for (int i = 0; i < ITEMS; i++) {
            int s = i % n;
            last[s] = handles[s].submit(Input.externalEvent("tick", "x")).completion();
        }
        int completed = 0;
        for (int s = 0; s < n; s++) {
            if (last[s] != null && last[s].join() != null) {
                completed++;
            }
        }
        counts.inputs += ITEMS;
        counts.wakeUps += state.executes.sum() - executesBefore;
        counts.runs += state.applies.sum() - appliesBefore;
        return completed;
    }
}
