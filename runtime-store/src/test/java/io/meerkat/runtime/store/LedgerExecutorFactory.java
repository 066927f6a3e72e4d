package io.meerkat.runtime.store;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Executors of kind {@code "ledger"} for the durable-runtime tests: every apply is written in a ledger
 * shared by all of them (a run log, as an executor with side effects would keep), with the attempt key of
 * each input. While {@link #hold()} is on, applies wait for the test ({@link #nextHeld}); otherwise each
 * completes at once with the text of its last input; a run whose last input's text starts with "fail" fails.
 * A cancel or stop fails the apply in flight.
 * Declares a client key {@code note} and a secret operator key {@code apiKey}.
 */
final class LedgerExecutorFactory implements ExecutorFactory {

    static final String KIND = "ledger";

    /** One apply, as the ledger keeps it. */
    record Applied(RunId runId, List<String> attemptKeys, String text) {
    }

    /** An apply waiting for the test. */
    record Held(RunId runId, RunPrimitive primitive, CompletableFuture<CoreApplyOutput> result) {

        void complete() {
            result.complete(CoreApplyOutput.completed(runId, primitive, RunResult.of(textOf(primitive))));
        }
    }

    final List<Applied> ledger = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Held> held = new LinkedBlockingQueue<>();
    private volatile boolean holding;
    /** How long each apply takes when not held: 0 completes at once. */
    volatile long applyMillis;

    void hold() {
        holding = true;
    }

    /** Applies that come from now on complete at once again. */
    void release() {
        holding = false;
    }

    /** The next held apply if one comes within {@code millis}, else {@code null}: to check that none comes. */
    Held heldWithin(long millis) throws InterruptedException {
        return held.poll(millis, TimeUnit.MILLISECONDS);
    }

    Held nextHeld() throws InterruptedException {
        Held next = held.poll(10, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError("no apply reached the executor within 10 s");
        }
        return next;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(ConfigKey.client("note", "a note"), ConfigKey.operator("apiKey", "a credential").asSecret());
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        return new CoreExecutor() {
            private volatile CompletableFuture<CoreApplyOutput> inFlight;

            @Override
            public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
                RunPrimitive.StagedInput staged = (RunPrimitive.StagedInput) primitive;
                List<String> keys = new java.util.ArrayList<>();
                for (int i = 0; i < staged.contributingInputIds().size(); i++) {
                    keys.add(staged.attemptKey(i));
                }
                ledger.add(new Applied(runId, List.copyOf(keys), textOf(primitive)));
                if (textOf(primitive).startsWith("fail")) {
                    return CompletableFuture.failedFuture(new IllegalStateException("asked to fail"));
                }
                if (!holding && applyMillis > 0) {
                    return CompletableFuture.supplyAsync(
                            () -> CoreApplyOutput.completed(runId, primitive, RunResult.of(textOf(primitive))),
                            CompletableFuture.delayedExecutor(applyMillis, TimeUnit.MILLISECONDS));
                }
                if (!holding) {
                    return CompletableFuture.completedFuture(
                            CoreApplyOutput.completed(runId, primitive, RunResult.of(textOf(primitive))));
                }
                CompletableFuture<CoreApplyOutput> result = new CompletableFuture<>();
                inFlight = result;
                held.add(new Held(runId, primitive, result));
                return result;
            }

            @Override
            public CompletionStage<Void> control(RunControlCommand command) {
                CompletableFuture<CoreApplyOutput> current = inFlight;
                if (current != null) {
                    current.completeExceptionally(new IllegalStateException("ended by " + command));
                }
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void close() {
            }
        };
    }

    private static String textOf(RunPrimitive primitive) {
        RunPrimitive.StagedInput staged = (RunPrimitive.StagedInput) primitive;
        return staged.appends().isEmpty() ? "" : staged.appends().get(staged.appends().size() - 1).text();
    }
}
