package io.meerkat.executor.echo;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
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
 * delay; fails the configured share of runs. A cancel or stop ends a delayed run at once.
 */
final class EchoExecutor implements CoreExecutor {

    private final EchoSettings settings;
    private final ScheduledExecutorService timer;
    /** The run whose delay has not elapsed; written by the loop, cleared by the timer or a control. */
    private volatile CompletableFuture<CoreApplyOutput> pending;

    EchoExecutor(EchoSettings settings, ScheduledExecutorService timer) {
        this.settings = settings;
        this.timer = timer;
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        boolean fails = settings.random().nextDouble() < settings.failureRate();
        if (settings.delay().isZero()) {
            try {
                return CompletableFuture.completedFuture(outcome(runId, primitive, fails));
            } catch (IllegalStateException simulated) {
                return CompletableFuture.failedFuture(simulated);
            }
        }
        CompletableFuture<CoreApplyOutput> result = new CompletableFuture<>();
        pending = result;
        try {
            ScheduledFuture<?> delay = timer.schedule(() -> {
                try {
                    result.complete(outcome(runId, primitive, fails));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }, settings.delay().toNanos(), TimeUnit.NANOSECONDS);
            result.whenComplete((output, error) -> delay.cancel(false));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("echo executor is shut down", e));
        }
        return result;
    }

    private CoreApplyOutput outcome(RunId runId, RunPrimitive primitive, boolean fails) {
        if (fails) {
            throw new IllegalStateException("echo: simulated failure (failureRate " + settings.failureRate() + ")");
        }
        RunResult result = new RunResult(settings.reply(textOf(primitive)),
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
            running.completeExceptionally(new CancellationException(reason));
        }
    }
}
