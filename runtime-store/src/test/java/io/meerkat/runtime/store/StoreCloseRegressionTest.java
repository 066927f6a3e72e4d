package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeClosedException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.testkit.ForwardingRuntimeStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Review defects (issue 12) about closing a runtime with a store: a store whose commit hangs hung
 * {@code runtime.close()} for ever (the group committer joined its writer without a timeout), and a
 * {@code createSession} racing {@code close()} could fail with {@code StoreUnavailableException} (the
 * committer, closed meanwhile, refused its write) instead of {@code RuntimeClosedException}.
 */
class StoreCloseRegressionTest {

    private final LedgerExecutorFactory executors = new LedgerExecutorFactory();

    /** Once {@code hang} is set, every commit waits for {@code release}. Leaves the wrapped store open. */
    private static final class HangingStore extends ForwardingRuntimeStore {
        final AtomicBoolean hang = new AtomicBoolean();
        final CountDownLatch hanging = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        HangingStore(RuntimeStore delegate) {
            super(delegate);
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            if (hang.get()) {
                hanging.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            delegate.commit(batches);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aStoreThatHangsDoesNotHangClose() throws Exception {
        try (RuntimeStore disk = new MemoryRuntimeStore()) {
            HangingStore store = new HangingStore(disk);
            MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(executors)
                    .completionRegistry(new InMemoryCompletionRegistry()).shutdownTimeoutMillis(200)
                    .store(store).build();
            try {
                SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                store.hang.set(true);
                CompletableFuture.runAsync(() -> session.submit(Input.prompt("never written")));
                assertTrue(store.hanging.await(10, TimeUnit.SECONDS), "no commit reached the store");

                CompletableFuture<Void> closing = CompletableFuture.runAsync(runtime::close);
                closing.get(30, TimeUnit.SECONDS);
            } finally {
                store.release.countDown();
            }
        }
    }

    @Test
    void createSessionRacingCloseIsToldTheRuntimeClosed() throws Exception {
        AtomicBoolean gate = new AtomicBoolean();
        CountDownLatch inCreate = new CountDownLatch(1);
        CountDownLatch closedMeanwhile = new CountDownLatch(1);
        // Its config key check pauses one createSession after the open check and before the store write.
        ExecutorFactory gated = new ExecutorFactory() {
            @Override
            public String kind() {
                return executors.kind();
            }

            @Override
            public List<ConfigKey> configKeys() {
                return executors.configKeys();
            }

            @Override
            public Optional<ConfigKey> configKey(String key) {
                if (gate.compareAndSet(true, false)) {
                    inCreate.countDown();
                    try {
                        assertTrue(closedMeanwhile.await(30, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return executors.configKey(key);
            }

            @Override
            public CoreExecutor create(ExecutorContext context) {
                return executors.create(context);
            }
        };
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(gated)
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build();
            gate.set(true);
            CompletableFuture<SessionHandle> creating = CompletableFuture.supplyAsync(() ->
                    runtime.createSession(new SessionSpec(null, LedgerExecutorFactory.KIND, Map.of("note", "n"), null)));
            assertTrue(inCreate.await(10, TimeUnit.SECONDS), "createSession never checked its config");
            runtime.close();
            closedMeanwhile.countDown();

            ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> creating.get(30, TimeUnit.SECONDS));
            assertInstanceOf(RuntimeClosedException.class, failure.getCause());
        }
    }
}
