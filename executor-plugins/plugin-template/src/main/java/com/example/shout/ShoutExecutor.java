package com.example.shout;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * Replies with the run's text in capitals, which it also streams as the run's output (one delta; an
 * executor producing its answer bit by bit reports each bit as it comes). Its work is instant, so it
 * completes each run before {@code apply} returns; an executor with slow work would start it elsewhere
 * (e.g. on {@code ExecutorContext.blockingExecutor()}), return a pending stage, and fail that stage when
 * a {@link RunControlCommand} arrives.
 */
final class ShoutExecutor implements CoreExecutor {

    private final String suffix;
    private final RunProgressListener output;

    ShoutExecutor(String suffix, RunProgressListener output) {
        this.suffix = suffix;
        this.output = output;
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        String text = primitive instanceof RunPrimitive.StagedInput staged
                ? staged.appends().stream().map(ConversationAppend::text).collect(Collectors.joining(" "))
                : "";
        RunResult result = RunResult.of(text.toUpperCase(Locale.ROOT) + suffix);
        // Output deltas are reported in order, before the run's stage completes: later ones are dropped.
        // Clients see them as output_delta events; the result still carries the whole reply.
        output.onOutputDelta(runId, result.text());
        return CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive, result));
    }

    @Override
    public CompletionStage<Void> control(RunControlCommand command) {
        // Nothing is ever in flight, so there is nothing to cancel or stop.
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        // Nothing to release.
    }
}
