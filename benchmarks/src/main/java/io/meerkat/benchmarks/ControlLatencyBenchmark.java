package io.meerkat.benchmarks;

import io.meerkat.completion.InMemoryCompletionRegistry;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of an out-of-band control command, from {@link SessionHandle#control} to the executor's
 * {@link CoreExecutor#control} call, as a distribution ({@link Mode#SampleTime}: JMH prints p50, p99, ...).
 *
 * <p>Each operation notes the executor's delivery count, calls
 * {@code session.control(new CancelCurrentRun("bench"))} and spins until the executor's {@code control}
 * has run (it bumps a volatile counter and records {@link System#nanoTime()}). The timed region is
 * therefore: the {@code control()} call (enqueue and signal), the loop picking the command up, the
 * delivery, and the spinning thread seeing the counter move (tens of nanoseconds).
 * <ul>
 *   <li>{@link #busy}: the session's loop is busy on queued prompts whose {@code apply} spins ~1 µs
 *       each (one prompt per run, so the loop may drain controls between 1 µs units). The queue is kept
 *       between {@value BusyState#LOW} and {@value BusyState#LOW} + {@value BusyState#REFILL} prompts
 *       by an invocation-level setup ({@code accept}), which is <em>not</em> timed.</li>
 *   <li>{@link #busyPrefilled}: the same busy loop, its queue filled before each iteration instead of by a
 *       per-invocation setup, which disturbs samples of a few microseconds (JMH's documentation warns against
 *       {@code Level.Invocation} for such benchmarks; here it put {@link #busy}'s p50 at 10–15 µs where this
 *       reads about 1 µs). The one to read for the busy loop's latency.</li>
 *   <li>{@link #idle}: the queue is empty; the command wakes the idle loop through the scheduler.</li>
 *   <li>{@link #handOffBaseline}: the same enqueue → delivery through a plain thread blocked on a
 *       {@link LinkedBlockingQueue}: the cost of waking a parked thread, the floor for {@link #idle}.</li>
 * </ul>
 * Every cancel finds no run in flight (the busy units complete inside {@code apply}), so no input is
 * cancelled. The JMH thread spins while it waits, so it occupies a core: on a 2-core box the busy case
 * uses both.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class ControlLatencyBenchmark {

    private static final RunControlCommand CANCEL = new RunControlCommand.CancelCurrentRun("bench");

    /** Counts control deliveries and applies; each apply spins for {@code spinNanos}. */
    static final class RecordingExecutor implements CoreExecutor {
        private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

        private final long spinNanos;
        volatile long deliveries;
        volatile long deliveredAt;
        volatile long applied;

        RecordingExecutor(long spinNanos) {
            this.spinNanos = spinNanos;
        }

        @Override
        public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
            if (spinNanos > 0) {
                long end = System.nanoTime() + spinNanos;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            }
            applied++; // only the session's loop writes: no lost update
            return CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive, NoOpExecutor.RUN_RESULT));
        }

        @Override
        public CompletionStage<Void> control(RunControlCommand command) {
            deliveredAt = System.nanoTime();
            deliveries++; // only the session's loop writes
            return DONE;
        }

        @Override
        public void close() {
        }
    }

    /** A runtime with one session whose executor is a {@link RecordingExecutor}. */
    abstract static class SessionState {
        InMemoryCompletionRegistry registry;
        MeerkatRuntime runtime;
        SessionHandle session;
        RecordingExecutor executor;

        abstract long spinNanos();

        void open() {
            registry = new InMemoryCompletionRegistry();
            ExecutorFactory factory = new ExecutorFactory() {
                @Override
                public String kind() {
                    return "recording";
                }

                @Override
                public CoreExecutor create(ExecutorContext context) {
                    executor = new RecordingExecutor(spinNanos());
                    return executor;
                }
            };
            // The busy cases keep up to 1.5 M prompts queued: above the default bound on unfinished inputs.
            runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(factory).completionRegistry(registry)
                    .maxQueuedInputs(2_000_000).build();
            session = runtime.createSession(SessionSpec.of("recording"));
        }

        void close() {
            runtime.close();
            registry.close();
        }

        /** Sends one cancel and spins until the executor got it; returns the delivery timestamp. */
        long controlRoundTrip() {
            RecordingExecutor ex = executor;
            long before = ex.deliveries;
            session.control(CANCEL);
            while (ex.deliveries == before) {
                Thread.onSpinWait();
            }
            return ex.deliveredAt;
        }
    }

    @State(Scope.Thread)
    public static class BusyState extends SessionState {
        static final long UNIT_NANOS = 1_000;
        static final int LOW = 50_000;
        static final int REFILL = 50_000;
        long accepted;

        @Override
        long spinNanos() {
            return UNIT_NANOS;
        }

        @Setup(Level.Trial)
        public void setUp() {
            open();
            refill();
        }

        /** Untimed: keeps the loop's queue non-empty. */
        @Setup(Level.Invocation)
        public void refill() {
            if (accepted - executor.applied < LOW) {
                for (int i = 0; i < REFILL; i++) {
                    session.accept(Input.prompt("busy"));
                }
                accepted += REFILL;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    /**
     * {@link BusyState} without a per-invocation setup: the queue is filled before each iteration with more
     * prompts than the loop gets through in one ({@value #PREFILL}), so nothing but the command is done between
     * two samples. JMH's {@code Level.Invocation} hooks run around every sample and disturb a measurement of a
     * few microseconds (a probe without them, the same runtime and executor, read a p50 of 1.8–2.4 µs where
     * {@link #busy} read 10–15 µs); {@link #busy} is kept to compare. An iteration in which the queue ran dry
     * fails, rather than measure an idle loop.
     */
    @State(Scope.Thread)
    public static class BusyPrefilledState extends SessionState {
        static final int PREFILL = 1_500_000;
        long accepted;

        @Override
        long spinNanos() {
            return BusyState.UNIT_NANOS;
        }

        @Setup(Level.Trial)
        public void setUp() {
            open();
        }

        /** Untimed: tops the queue up to {@value #PREFILL} prompts. */
        @Setup(Level.Iteration)
        public void fill() {
            for (long queued = accepted - executor.applied; queued < PREFILL; queued++) {
                session.accept(Input.prompt("busy"));
                accepted++;
            }
        }

        @TearDown(Level.Iteration)
        public void checkNotDry() {
            if (executor.applied >= accepted) {
                throw new IllegalStateException("the queue ran dry during the iteration: raise PREFILL");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @State(Scope.Thread)
    public static class IdleState extends SessionState {
        @Override
        long spinNanos() {
            return 0;
        }

        @Setup(Level.Trial)
        public void setUp() {
            open();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    /** A plain thread blocked on a queue; it "delivers" each command the way the executor does. */
    @State(Scope.Thread)
    public static class HandOffState {
        final LinkedBlockingQueue<RunControlCommand> queue = new LinkedBlockingQueue<>();
        final RecordingExecutor sink = new RecordingExecutor(0);
        Thread consumer;

        @Setup(Level.Trial)
        public void start() {
            consumer = new Thread(() -> {
                try {
                    RunControlCommand command;
                    while (!((command = queue.take()) instanceof RunControlCommand.StopRuntimeExecutor)) {
                        sink.control(command);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "control-handoff-consumer");
            consumer.setDaemon(true);
            consumer.start();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            queue.put(new RunControlCommand.StopRuntimeExecutor("done"));
            consumer.join(10_000);
        }
    }

    @Benchmark
    public long busy(BusyState state) {
        return state.controlRoundTrip();
    }

    @Benchmark
    public long busyPrefilled(BusyPrefilledState state) {
        return state.controlRoundTrip();
    }

    @Benchmark
    public long idle(IdleState state) {
        return state.controlRoundTrip();
    }

    @Benchmark
    public long handOffBaseline(HandOffState state) {
        RecordingExecutor sink = state.sink;
        long before = sink.deliveries;
        state.queue.offer(CANCEL);
        while (sink.deliveries == before) {
            Thread.onSpinWait();
        }
        return sink.deliveredAt;
    }
}
