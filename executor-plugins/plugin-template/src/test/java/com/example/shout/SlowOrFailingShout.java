package com.example.shout;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Test-only: gives the shout executor a slow mode (ends only on a control) and a failing mode. */
final class SlowOrFailingShout implements ExecutorFactory {

    static final String MODE = "test.mode";

    private final ExecutorFactory shout;

    SlowOrFailingShout(ExecutorFactory shout) {
        this.shout = shout;
    }

    @Override
    public String kind() {
        return shout.kind();
    }

    @Override
    public List<ConfigKey> configKeys() {
        List<ConfigKey> keys = new ArrayList<>(shout.configKeys());
        keys.add(ConfigKey.client(MODE, "slow or fail, for the conformance test"));
        return keys;
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        Map<String, String> config = new HashMap<>(context.config());
        String mode = config.remove(MODE);
        CoreExecutor real = shout.create(new ExecutorContext(context.sessionId(), context.kind(), config,
                context.blockingExecutor(), context.progress()));
        if (mode == null) {
            return real;
        }
        return new CoreExecutor() {
            private volatile CompletableFuture<CoreApplyOutput> pending;

            @Override
            public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
                if (mode.equals("fail")) {
                    return CompletableFuture.failedFuture(new IllegalStateException("failing on purpose"));
                }
                pending = new CompletableFuture<>();
                return pending;
            }

            @Override
            public CompletionStage<Void> control(RunControlCommand command) {
                CompletableFuture<CoreApplyOutput> running = pending;
                if (running != null) {
                    running.completeExceptionally(new CancellationException(command.reason()));
                }
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void close() {
                control(new RunControlCommand.CancelCurrentRun("closed"));
                real.close();
            }
        };
    }
}
