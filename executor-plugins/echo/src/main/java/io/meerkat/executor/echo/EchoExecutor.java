package io.meerkat.executor.echo;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Replies to each run with its input text put into the configured template, after the configured
 * delay; fails the configured share of runs. The reply is streamed as {@code chunks} output deltas
 * spread evenly over the delay (the last one when the run completes; all at once without a delay);
 * a failing run streams nothing. A cancel or stop ends a delayed run at once, and no delta follows it.
 */
final class EchoExecutor implements CoreExecutor {

    private final EchoSettings settings;
    private final ScheduledExecutorService timer;
    private final RunProgressListener listener;
    /** The run whose delay has not elapsed; written by the loop, cleared by the timer or a control. */
    private volatile CompletableFuture<CoreApplyOutput> pending;

    EchoExecutor(EchoSettings settings, ScheduledExecutorService timer, RunProgressListener listener) {
        this.settings = settings;
        this.timer = timer;
        this.listener = listener;
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        boolean fails = settings.random().nextDouble() < settings.failureRate();
        String reply = settings.reply(textOf(primitive));
        List<String> pieces = fails ? List.of() : settings.pieces(reply);
        if (settings.delay().isZero()) {
            pieces.forEach(piece -> listener.onOutputDelta(runId, piece));
            try {
                return CompletableFuture.completedFuture(outcome(runId, primitive, reply, fails));
            } catch (IllegalStateException simulated) {
                return CompletableFuture.failedFuture(simulated);
            }
        }
        Streamed run = new Streamed(runId, primitive, reply, fails, pieces);
        pending = run.result;
        run.scheduleStep(1);
        return run.result;
    }

    private CoreApplyOutput outcome(RunId runId, RunPrimitive primitive, String reply, boolean fails) {
        if (fails) {
            throw new IllegalStateException("echo: simulated failure (failureRate " + settings.failureRate() + ")");
        }
        RunResult result = new RunResult(reply,
                Map.of("executor", EchoExecutorFactory.KIND, "delayMs", Long.toString(settings.delay().toMillis())));
        return CoreApplyOutput.completed(runId, primitive, result);
    }

    /** The staged appends' texts, one per line; an immediate append's text. */
    static String textOf(RunPrimitive primitive) {
        if (primitive instanceof RunPrimitive.StagedInput staged) {
            return staged.appends().stream().map(ConversationAppend::text).collect(Collectors.joining("\n"));
        }
        if (primitive instanceof RunPrimitive.ImmediateAppend immediate) {
            return immediate.append().text();
        }
        if (primitive instanceof RunPrimitive.ImmediateContextAppend context) {
            return context.append().text();
        }
        throw new IllegalArgumentException("unknown primitive " + primitive);
    }

    @Override
    public CompletionStage<Void> control(RunControlCommand command) {
        cancelPending(command.reason());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        cancelPending("executor closed");
    }

    private void cancelPending(String reason) {
        CompletableFuture<CoreApplyOutput> running = pending;
        if (running != null) {
            pending = null;
            synchronized (this) {
                // Under the lock a step emits under: once this returns, no delta of the run can follow.
                running.completeExceptionally(new CancellationException(reason));
            }
        }
    }

    /**
     * A delayed run: step {@code k} of {@code n} (n = the number of pieces, at least 1) runs on the timer
     * at {@code delay * k / n}, emits piece {@code k}, and the last step completes the run.
     */
    private final class Streamed {
        private final RunId runId;
        private final RunPrimitive primitive;
        private final String reply;
        private final boolean fails;
        private final List<String> pieces;
        private final int steps;
        final CompletableFuture<CoreApplyOutput> result = new CompletableFuture<>();
        private volatile ScheduledFuture<?> next;

        Streamed(RunId runId, RunPrimitive primitive, String reply, boolean fails, List<String> pieces) {
            this.runId = runId;
            this.primitive = primitive;
            this.reply = reply;
            this.fails = fails;
            this.pieces = pieces;
            this.steps = Math.max(1, pieces.size());
            result.whenComplete((output, error) -> {
                ScheduledFuture<?> step = next;
                if (step != null) {
                    step.cancel(false);
                }
            });
        }

        void scheduleStep(int step) {
            // At most an hour in nanoseconds times 1000 steps: far from overflowing.
            long delay = settings.delay().toNanos();
            long wait = delay * step / steps - delay * (step - 1) / steps;
            try {
                next = timer.schedule(() -> step(step), wait, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(new IllegalStateException("echo executor is shut down", e));
                return;
            }
            if (result.isDone()) {
                next.cancel(false); // completed (cancelled) while this step was being scheduled
            }
        }

        private void step(int step) {
            synchronized (EchoExecutor.this) {
                // The cancel completes the result under this lock: a step either emits before it or not at all.
                if (result.isDone()) {
                    return;
                }
                if (step <= pieces.size()) {
                    listener.onOutputDelta(runId, pieces.get(step - 1));
                }
            }
            if (step < steps) {
                scheduleStep(step + 1);
                return;
            }
            try {
                result.complete(outcome(runId, primitive, reply, fails));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }
}
