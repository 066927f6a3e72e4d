package io.meerkat.runtime.core.testing;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test executor that records every call. In {@link Mode#ECHO} mode it completes each run at once
 * with the run's text; in {@link Mode#HOLD} mode it hands each pending run to the test
 * ({@link #nextApply()}) and fails it when a cancel or stop arrives; in {@link Mode#FAIL} mode it
 * fails every run; in {@link Mode#PARK} mode it hands each run to the test and ignores control
 * commands (an executor that does not honour cancel or stop), until the test completes the run.
 */
public final class ScriptedExecutor implements CoreExecutor {

    /** How {@link #apply} behaves. */
    public enum Mode {
        /** Completes each run at once with its text. */
        ECHO,
        /** Hands each run to the test; a control command fails it. */
        HOLD,
        /** Fails every run. */
        FAIL,
        /**
         * Per run, drawn from the seed of {@link #mixed(long)}: echo at once, echo later from another
         * thread, or fail. The k-th run of an executor gets the k-th draw, so a seed replays the same mix.
         */
        MIXED,
        /** Hands each run to the test; control commands are recorded but leave the run pending. */
        PARK
    }

    /** One apply call the test controls. */
    public record PendingApply(RunId runId, RunPrimitive primitive, CompletableFuture<CoreApplyOutput> result) {

        public void complete(String text) {
            result.complete(CoreApplyOutput.completed(runId, primitive, RunResult.of(text)));
        }
    }

    private final Random draws;
    private volatile Mode mode;
    private final AtomicInteger applyCalls = new AtomicInteger();
    private final AtomicInteger closeCalls = new AtomicInteger();
    private final List<RunControlCommand> controls = new CopyOnWriteArrayList<>();
    private final BlockingQueue<PendingApply> pending = new LinkedBlockingQueue<>();
    private volatile PendingApply current;
    private volatile boolean callAfterClose;

    /** An executor in {@code mode}; {@link Mode#MIXED} needs a seed, see {@link #mixed(long)}. */
    public ScriptedExecutor(Mode mode) {
        this(mode, null);
        if (mode == Mode.MIXED) {
            throw new IllegalArgumentException("MIXED draws from a seed: use ScriptedExecutor.mixed(seed)");
        }
    }

    /** An executor in {@link Mode#MIXED} whose runs' fates are drawn from {@code new Random(seed)}. */
    public static ScriptedExecutor mixed(long seed) {
        return new ScriptedExecutor(Mode.MIXED, new Random(seed));
    }

    private ScriptedExecutor(Mode mode, Random draws) {
        this.draws = draws;
        this.mode = mode;
    }

    public void mode(Mode newMode) {
        if (newMode == Mode.MIXED && draws == null) {
            throw new IllegalArgumentException("MIXED draws from a seed: use ScriptedExecutor.mixed(seed)");
        }
        this.mode = newMode;
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        noteCall();
        applyCalls.incrementAndGet();
        return switch (mode) {
            case ECHO -> CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive,
                    RunResult.of(textOf(primitive))));
            case FAIL -> CompletableFuture.failedFuture(new IllegalStateException("scripted failure"));
            case MIXED -> mixed(runId, primitive);
            case HOLD, PARK -> {
                PendingApply apply = new PendingApply(runId, primitive, new CompletableFuture<>());
                current = apply;
                pending.add(apply);
                yield apply.result();
            }
        };
    }

    private CompletionStage<CoreApplyOutput> mixed(RunId runId, RunPrimitive primitive) {
        int roll = draws.nextInt(10);
        if (roll < 5) {
            return CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive,
                    RunResult.of(textOf(primitive))));
        }
        if (roll < 6) {
            return CompletableFuture.failedFuture(new IllegalStateException("scripted failure"));
        }
        PendingApply apply = new PendingApply(runId, primitive, new CompletableFuture<>());
        current = apply;
        CompletableFuture.runAsync(() -> apply.complete(textOf(primitive)), ASYNC);
        return apply.result();
    }

    private static final java.util.concurrent.Executor ASYNC = java.util.concurrent.Executors.newFixedThreadPool(2,
            task -> {
                Thread thread = new Thread(task, "scripted-executor-async");
                thread.setDaemon(true);
                return thread;
            });

    @Override
    public CompletionStage<Void> control(RunControlCommand command) {
        noteCall();
        controls.add(command);
        PendingApply running = current;
        if (running != null && mode != Mode.PARK) {
            running.result().completeExceptionally(new CancellationException(command.reason()));
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        closeCalls.incrementAndGet();
    }

    private void noteCall() {
        if (closeCalls.get() > 0) {
            callAfterClose = true;
        }
    }

    /** Waits for the next held apply. */
    public PendingApply nextApply() throws InterruptedException {
        PendingApply apply = pending.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        if (apply == null) {
            throw new AssertionError("no apply call within 10 s");
        }
        return apply;
    }

    /** The next held or parked apply, or {@code null} if none is waiting; does not block. */
    public PendingApply pollApply() {
        return pending.poll();
    }

    /** Completes every held or parked run not finished yet (test teardown). */
    public void releaseAll() {
        PendingApply apply;
        while ((apply = pending.poll()) != null) {
            apply.complete("released");
        }
        PendingApply last = current;
        if (last != null) {
            last.complete("released");
        }
    }

    public static String textOf(RunPrimitive primitive) {
        if (primitive instanceof RunPrimitive.StagedInput staged && !staged.appends().isEmpty()) {
            return staged.appends().get(staged.appends().size() - 1).text();
        }
        return "";
    }

    public int applyCalls() {
        return applyCalls.get();
    }

    public int closeCalls() {
        return closeCalls.get();
    }

    public List<RunControlCommand> controls() {
        return List.copyOf(controls);
    }

    public boolean calledAfterClose() {
        return callAfterClose;
    }
}
