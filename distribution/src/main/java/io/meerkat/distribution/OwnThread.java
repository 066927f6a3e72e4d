package io.meerkat.distribution;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Work that gets a named daemon thread of its own (a start-up step, a drain), its result as a future. */
public final class OwnThread {

    private OwnThread() {
    }

    /**
     * Runs {@code work} on a new daemon thread called {@code name}.
     *
     * @return completes with the work's result, or exceptionally with whatever it threw
     */
    public static <T> CompletableFuture<T> supply(String name, Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(work.get());
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return result;
    }
}
