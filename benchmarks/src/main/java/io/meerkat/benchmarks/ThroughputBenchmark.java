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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Items per second through one session, against two baselines measured in the same run.
 *
 * <p>Every benchmark pushes {@value #ITEMS} no-op items per invocation from one producer (the JMH
 * thread), gives each item its own completion future, and returns once the last item is complete; the
 * score is items per second ({@link OperationsPerInvocation}). The timed region contains, for every item:
 * <ul>
 *   <li>{@link #singleThreadLoop}: allocating the item and its future, adding it to an
 *       {@link ArrayDeque}, polling it back and completing the future, all on one thread. The floor.</li>
 *   <li>{@link #blockingQueueHandOff}: allocating the item and its future and putting it on a
 *       {@link LinkedBlockingQueue}; a consumer thread (started once per trial, untimed) takes it and
 *       completes the future; the producer joins the last future.</li>
 *   <li>{@code runtime*}: constructing a fresh {@link Input} (an input id may be admitted only once per
 *       session, so inputs cannot be reused; a header costs an id, a UUID and an {@code Instant}),
 *       admitting it ({@code submit}, which also registers a completion in the
 *       {@link InMemoryCompletionRegistry}, or {@code accept}), and the session's runtime loop on the
 *       shared scheduler running it through a {@link NoOpExecutor} and resolving its waiter. The
 *       producer then joins the last completion; the queue lane is FIFO, so every earlier item is done
 *       too. {@link #inputConstructionOnly} measures the input-construction share alone.</li>
 * </ul>
 * Runtimes and sessions are built in untimed setup. Scores are noisy on a shared box: read them as
 * ratios to the baselines of the same run. An invocation of a {@code runtime*} benchmark takes
 * 0.1–0.5 s, so a 1 s warmup iteration holds only a few of them: the default warmup is 5 × 2 s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(ThroughputBenchmark.ITEMS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ThroughputBenchmark {

    static final int ITEMS = 100_000;

    /** A baseline work item: one object and its completion, like an input and its waiter. */
    static final class Item {
        final CompletableFuture<Object> done = new CompletableFuture<>();
    }

    private static final Item POISON = new Item();

    /** State of the single-thread baseline. */
    @State(Scope.Thread)
    public static class LoopState {
        final ArrayDeque<Item> deque = new ArrayDeque<>(ITEMS);
    }

    /** State of the hand-off baseline: the consumer thread lives for the whole trial. */
    @State(Scope.Benchmark)
    public static class HandOffState {
        final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
        Thread consumer;

        @Setup(Level.Trial)
        public void start() {
            consumer = new Thread(() -> {
                try {
                    Item item;
                    while ((item = queue.take()) != POISON) {
                        item.done.complete(item);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "handoff-consumer");
            consumer.setDaemon(true);
            consumer.start();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            queue.put(POISON);
            consumer.join(10_000);
        }
    }

    /**
     * One runtime (default settings but the queue bound, shared scheduler) with one session for the whole
     * trial. An operation submits all its items before the loop has run most of them: the session's
     * unfinished-input bound is raised to hold them.
     */
    @State(Scope.Benchmark)
    public static class SessionState {
        InMemoryCompletionRegistry registry;
        MeerkatRuntime runtime;
        SessionHandle session;

        @Setup(Level.Trial)
        public void open() {
            registry = new InMemoryCompletionRegistry();
            runtime = MeerkatRuntimeBuilder.newBuilder()
                    .executorFactory(NoOpExecutor.FACTORY)
                    .completionRegistry(registry)
                    .maxQueuedInputs(ITEMS)
                    .build();
            session = runtime.createSession(SessionSpec.of(NoOpExecutor.KIND));
        }

        @TearDown(Level.Iteration)
        public void check() {
            // Every item of every invocation must have finished: nothing may be left in flight.
            int pending = registry.pendingCount();
            if (pending != 0 || !session.activeInputIds().isEmpty()) {
                throw new IllegalStateException("work left after an iteration: " + pending + " waiters");
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            runtime.close();
            registry.close();
        }
    }

    /**
     * As {@link SessionState}, with two knobs (not in the baseline commit; compare their values with one
     * another in the same run). {@code runLimit}: {@code none}, or a run duration limit of 60 s that is
     * never reached. {@code apply}: {@code sync} ({@link NoOpExecutor}: the apply's stage is complete when
     * it returns, so the loop settles the run at once and never arms the limit's timer) or {@code async}
     * (the stage is completed by a thread of its own, so the run is in flight when apply returns and, with
     * a limit, the loop arms a timer on the runtime's delay scheduler and cancels it when the run settles).
     */
    @State(Scope.Benchmark)
    public static class LimitedSessionState {
        @Param({"none", "60s"})
        String runLimit;

        @Param({"sync", "async"})
        String apply;

        InMemoryCompletionRegistry registry;
        MeerkatRuntime runtime;
        SessionHandle session;
        ExecutorService completer;

        @Setup(Level.Trial)
        public void open() {
            registry = new InMemoryCompletionRegistry();
            completer = Executors.newSingleThreadExecutor(r -> {
                Thread thread = new Thread(r, "apply-completer");
                thread.setDaemon(true);
                return thread;
            });
            ExecutorFactory factory = "async".equals(apply) ? new ExecutorFactory() {
                @Override
                public String kind() {
                    return NoOpExecutor.KIND;
                }

                @Override
                public CoreExecutor create(ExecutorContext context) {
                    return new AsyncNoOpExecutor(completer);
                }
            } : NoOpExecutor.FACTORY;
            runtime = MeerkatRuntimeBuilder.newBuilder()
                    .executorFactory(factory)
                    .completionRegistry(registry)
                    .maxQueuedInputs(ITEMS)
                    .build();
            SessionSpec spec = SessionSpec.of(NoOpExecutor.KIND);
            session = runtime.createSession("none".equals(runLimit) ? spec
                    : spec.withMaxRunDuration(Duration.parse("PT" + runLimit.toUpperCase(Locale.ROOT))));
        }

        @TearDown(Level.Iteration)
        public void check() {
            int pending = registry.pendingCount();
            if (pending != 0 || !session.activeInputIds().isEmpty()) {
                throw new IllegalStateException("work left after an iteration: " + pending + " waiters");
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            runtime.close();
            registry.close();
            completer.shutdown();
        }
    }

    /** Completes every run on {@code completer}'s thread: the run is still in flight when apply returns. */
    static final class AsyncNoOpExecutor implements CoreExecutor {
        private final ExecutorService completer;

        AsyncNoOpExecutor(ExecutorService completer) {
            this.completer = completer;
        }

        @Override
        public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
            return CompletableFuture.supplyAsync(
                    () -> CoreApplyOutput.completed(runId, primitive, NoOpExecutor.RUN_RESULT), completer);
        }

        @Override
        public CompletionStage<Void> control(RunControlCommand command) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
        }
    }

    /**
     * {@code sessions} sessions on one runtime, all sharing its scheduler, rebuilt for every iteration
     * (untimed) so that no iteration inherits the previous one's retained inputs. Each session keeps
     * only {@value #RETENTION} finished inputs (default 10,000): with 10,000 sessions the default would
     * retain every input of the iteration, and the benchmark would measure the garbage collector.
     *
     * <p>The scheduler is the one the builder would make itself (a FIFO {@link ForkJoinPool}, one thread per
     * core) behind an {@link Executor} that counts its {@code execute} calls: one per wake-up of an idle loop
     * (and one per pass that used up its {@code loopThroughput} and yields). The executor counts its runs.
     */
    @State(Scope.Benchmark)
    public static class ManySessionsState {
        static final int RETENTION = 16;

        @Param({"1", "100", "10000"})
        int sessions;

        /** Finished inputs each session keeps ({@code -p retention=1} to see what keeping them costs). */
        @Param({"" + RETENTION})
        int retention;

        final LongAdder wakeUps = new LongAdder();
        final LongAdder runs = new LongAdder();
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
            registry = new InMemoryCompletionRegistry();
            runtime = MeerkatRuntimeBuilder.newBuilder()
                    .executorFactory(NoOpExecutor.countingRuns(runs))
                    .completionRegistry(registry)
                    .scheduler(task -> {
                        wakeUps.increment();
                        pool.execute(task);
                    })
                    .finishedInputRetention(retention)
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
            int pending = registry.pendingCount();
            runtime.close();
            registry.close();
            pool.shutdown();
            handles = null;
            if (pending != 0) {
                throw new IllegalStateException("work left after an iteration: " + pending + " waiters");
            }
        }
    }

    @Benchmark
    public Object singleThreadLoop(LoopState state) {
        ArrayDeque<Item> deque = state.deque;
        for (int i = 0; i < ITEMS; i++) {
            deque.addLast(new Item());
        }
        Item item = null;
        Item polled;
        while ((polled = deque.pollFirst()) != null) {
            polled.done.complete(polled);
            item = polled;
        }
        return item.done.join();
    }

    @Benchmark
    public Object blockingQueueHandOff(HandOffState state) {
        LinkedBlockingQueue<Item> queue = state.queue;
        Item item = null;
        for (int i = 0; i < ITEMS; i++) {
            item = new Item();
            queue.offer(item);
        }
        return item.done.join();
    }

    /** Every prompt is a run of its own. */
    @Benchmark
    public CompletionOutcome runtimePrompts(SessionState state) {
        SessionHandle session = state.session;
        CompletableFuture<CompletionOutcome> last = null;
        for (int i = 0; i < ITEMS; i++) {
            last = session.submit(Input.prompt("x")).completion();
        }
        return last.join();
    }

    /** External events batch: consecutive ones share a run (up to 1,024). */
    @Benchmark
    public CompletionOutcome runtimeEvents(SessionState state) {
        SessionHandle session = state.session;
        CompletableFuture<CompletionOutcome> last = null;
        for (int i = 0; i < ITEMS; i++) {
            last = session.submit(Input.externalEvent("tick", "x")).completion();
        }
        return last.join();
    }

    /** As {@link #runtimeEvents} without waiters, but the last input is submitted and joined. */
    @Benchmark
    public CompletionOutcome runtimeEventsAccept(SessionState state) {
        SessionHandle session = state.session;
        for (int i = 0; i < ITEMS - 1; i++) {
            session.accept(Input.externalEvent("tick", "x"));
        }
        return session.submit(Input.externalEvent("tick", "x")).completion().join();
    }

    /** As {@link #runtimePrompts} on a {@link LimitedSessionState} session: with a limit and async apply, a timer per run. */
    @Benchmark
    public CompletionOutcome runtimePromptsRunLimit(LimitedSessionState state) {
        SessionHandle session = state.session;
        CompletableFuture<CompletionOutcome> last = null;
        for (int i = 0; i < ITEMS; i++) {
            last = session.submit(Input.prompt("x")).completion();
        }
        return last.join();
    }

    /** As {@link #runtimeEvents} on a {@link LimitedSessionState} session. */
    @Benchmark
    public CompletionOutcome runtimeEventsRunLimit(LimitedSessionState state) {
        SessionHandle session = state.session;
        CompletableFuture<CompletionOutcome> last = null;
        for (int i = 0; i < ITEMS; i++) {
            last = session.submit(Input.externalEvent("tick", "x")).completion();
        }
        return last.join();
    }

    /**
     * The counters {@link #runtimeEventsManySessions} reports besides items/s, as totals per iteration
     * ({@link AuxCounters}): {@code wakeUps / inputs} is the wake-ups per input, {@code wakeUps / runs} per run
     * (a run takes one batch).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class WakeUpCounts {
        public long inputs;
        public long wakeUps;
        public long runs;
    }

    /** External events spread round-robin over the sessions; waits for every session's last one. */
    @Benchmark
    public int runtimeEventsManySessions(ManySessionsState state, WakeUpCounts counts) {
        long wakeUpsBefore = state.wakeUps.sum();
        long runsBefore = state.runs.sum();
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
        counts.wakeUps += state.wakeUps.sum() - wakeUpsBefore;
        counts.runs += state.runs.sum() - runsBefore;
        return completed;
    }

    /** Only constructs the inputs the {@code runtime*} benchmarks construct: their share of the cost. */
    @Benchmark
    public void inputConstructionOnly(Blackhole blackhole) {
        for (int i = 0; i < ITEMS; i++) {
            blackhole.consume(Input.externalEvent("tick", "x"));
        }
    }
}
