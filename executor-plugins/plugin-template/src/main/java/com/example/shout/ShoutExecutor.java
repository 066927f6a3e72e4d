package com.example.shout;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.CoreExecutor;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * Replies with the run's text in capitals. Its work is instant, so it completes each run before
 * {@code apply} returns; an executor with slow work would start it elsewhere (e.g. on
 * {@code ExecutorContext.blockingExecutor()}), return a pending stage, and fail that stage when a
 * {@link RunControlCommand} arrives.
 */
final class ShoutExecutor implements CoreExecutor {

    private final String suffix;

    ShoutExecutor(String suffix) {
        this.suffix = suffix;
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        String text = primitive instanceof RunPrimitive.StagedInput staged
                ? staged.appends().stream().map(ConversationAppend::text).collect(Collectors.joining(" "))
                : "";
        RunResult result = RunResult.of(text.toUpperCase(Locale.ROOT) + suffix);
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
