package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.session;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.stored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange.PutInput;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoredSession;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review defect (issue 12): {@code JdbcRuntimeStore.prune} deleted everything in one transaction holding the
 * writer, so a large first prune stalled every commit until it was done. Now it deletes in chunks, each its
 * own transaction, and a commit that arrives meanwhile is written between two chunks. Counted, not timed: each
 * transaction (commit or prune chunk) is logged from inside it, and the commit is made to wait for the writer
 * while the prune's first chunk holds it.
 */
class ChunkedPruneTest {

    @TempDir
    Path dir;

    @Test
    void aLargePruneForgetsInChunksAndACommitGoesOnBetweenThem() throws Exception {
        try (JdbcRuntimeStore store = new SqliteStoreProvider().open(Map.of("path", dir.resolve("store.db").toString()),
                connection -> connection)) {
            StoredSession old = session(SessionId.random());
            List<StoreBatch> finished = new ArrayList<>(List.of(StoreBatch.of(new PutSession(old))));
            for (int i = 0; i < 35; i++) {
                finished.add(StoreBatch.of(new PutInput(stored(old.id(), i, Input.prompt("p" + i),
                        InputLifecycleState.CONSUMED, null))));
            }
            store.commit(finished);
            store.pruneChunkRows(10);

            Thread pruning = Thread.currentThread();
            List<String> transactions = new CopyOnWriteArrayList<>();
            AtomicReference<CompletableFuture<Void>> arriving = new AtomicReference<>();
            StoredSession fresh = session(SessionId.random());
            store.beforeCommit(() -> {
                if (Thread.currentThread() != pruning) {
                    transactions.add("commit");
                    return;
                }
                transactions.add("prune");
                if (arriving.get() == null) {
                    // A commit arrives while the first chunk holds the writer, and waits for it.
                    arriving.set(CompletableFuture.runAsync(() -> store.commit(List.of(StoreBatch.of(new PutSession(fresh))))));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (!store.writerWanted()) {
                        assertTrue(System.nanoTime() < deadline, "the commit never asked for the writer");
                        Thread.onSpinWait();
                    }
                }
            });

            long pruned = store.prune(new RetentionPolicy(1_000, Instant.parse("2100-01-01T00:00:00Z")));

            assertEquals(35, pruned);
            assertTrue(arriving.get() != null, "the prune ran no transaction of its own: " + transactions);
            arriving.get().get(30, TimeUnit.SECONDS);
            // Chunks of 10, 10, 10 and 5 inputs, then the receipts: the commit went in after the first chunk.
            assertEquals(List.of("prune", "commit", "prune", "prune", "prune", "prune"), transactions);
            assertEquals(2, loadAll(store).size());
            assertTrue(loadAll(store).values().stream().allMatch(List::isEmpty), "finished inputs left: " + loadAll(store));
        }
    }
}
