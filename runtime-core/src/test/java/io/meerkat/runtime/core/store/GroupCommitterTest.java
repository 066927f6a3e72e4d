package io.meerkat.runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class GroupCommitterTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x6C0_3317L);

    @Test
    void batchesWaitingTogetherShareOneCommitInOrder() throws Exception {
        RecordingStore store = new RecordingStore();
        store.holdFirstCommit();
        try (GroupCommitter committer = new GroupCommitter(store, 64, Thread::new)) {
            CompletableFuture<Void> first = committer.submit(batch(0));
            store.awaitFirstCommitStarted();
            List<CompletableFuture<Void>> queued = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                queued.add(committer.submit(batch(i)));
            }
            store.releaseFirstCommit();
            first.get(10, TimeUnit.SECONDS);
            for (CompletableFuture<Void> future : queued) {
                future.get(10, TimeUnit.SECONDS);
            }
        }
        assertEquals(List.of(List.of(0), List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)), store.groups(),
                "the ten that waited behind the first went together, in order");
    }

    @Test
    void batchesOfSessionsThisNodeLostFailWithOwnershipLostAndTheRestOfTheGroupIsWrittenTogether() throws Exception {
        RecordingStore store = new RecordingStore();
        store.holdFirstCommit();
        store.lose(2);
        store.lose(4);
        List<Map<SessionId, Fence>> heard = new CopyOnWriteArrayList<>();
        try (GroupCommitter committer = new GroupCommitter(store, 64, Thread::new)) {
            committer.onOwnershipLost(heard::add);
            CompletableFuture<Void> first = committer.submit(batch(0));
            store.awaitFirstCommitStarted();
            List<CompletableFuture<Void>> queued = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                queued.add(committer.submit(fencedBatch(i)));
            }
            store.releaseFirstCommit();
            first.get(10, TimeUnit.SECONDS);
            for (int i = 1; i <= 6; i++) {
                CompletableFuture<Void> future = queued.get(i - 1);
                if (i == 2 || i == 4) {
                    ExecutionException failure = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
                    assertTrue(failure.getCause() instanceof OwnershipLostException, failure.toString());
                } else {
                    future.get(10, TimeUnit.SECONDS);
                }
            }
        }
        assertEquals(List.of(List.of(0), List.of(1, 3, 5, 6)), store.groups(),
                "the sessions still held were committed again as one group, not one by one");
        assertEquals(List.of(Map.of(new SessionId(new java.util.UUID(0, 2)), new Fence("node-a", 1),
                new SessionId(new java.util.UUID(0, 4)), new Fence("node-a", 1))), heard);
    }

    @Test
    void aBadBatchFailsAloneAndTheRestOfItsGroupIsWritten() throws Exception {
        RecordingStore store = new RecordingStore();
        store.holdFirstCommit();
        store.refuse(3);
        try (GroupCommitter committer = new GroupCommitter(store, 64, Thread::new)) {
            CompletableFuture<Void> first = committer.submit(batch(0));
            store.awaitFirstCommitStarted();
            List<CompletableFuture<Void>> queued = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                queued.add(committer.submit(batch(i)));
            }
            store.releaseFirstCommit();
            first.get(10, TimeUnit.SECONDS);
            for (int i = 1; i <= 5; i++) {
                CompletableFuture<Void> future = queued.get(i - 1);
                if (i == 3) {
                    ExecutionException failure = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
                    assertTrue(failure.getCause() instanceof StoreUnavailableException, failure.toString());
                } else {
                    future.get(10, TimeUnit.SECONDS);
                }
            }
        }
        assertEquals(Set.of(0, 1, 2, 4, 5), Set.copyOf(store.committed()), "everything but the bad batch");
    }

    /**
     * A store that is down (each commit failing, as a locked SQLite file does after its busy timeout) fails a
     * group, then two of its batches alone; the rest of the group fails at once, one store call for all of
     * them instead of one per batch (the durability review measured 4 s of waiting for 16 submitters).
     */
    @Test
    void aStoreThatIsDownFailsTheRestOfAGroupAfterTwoBatchesFailAlone() throws Exception {
        RecordingStore store = new RecordingStore();
        store.holdFirstCommit();
        try (GroupCommitter committer = new GroupCommitter(store, 64, Thread::new)) {
            CompletableFuture<Void> first = committer.submit(batch(0));
            store.awaitFirstCommitStarted();
            List<CompletableFuture<Void>> queued = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                queued.add(committer.submit(batch(i)));
            }
            store.failNextCommits(100);
            store.releaseFirstCommit();
            assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
            for (CompletableFuture<Void> future : queued) {
                ExecutionException failure = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
                assertTrue(failure.getCause() instanceof StoreUnavailableException, failure.toString());
            }
        }
        // The first batch, the group of ten, two of them alone: not one call per batch of the group.
        assertEquals(4, store.commitCalls());
        assertEquals(List.of(), store.committed());
    }

    @Test
    void aFailingStoreFailsTheWriteWithATypedErrorAndLaterWritesSucceed() {
        RecordingStore store = new RecordingStore();
        try (GroupCommitter committer = new GroupCommitter(store, 64, Thread::new)) {
            store.failNextCommits(1);
            StoreUnavailableException failure = assertThrows(StoreUnavailableException.class, () -> committer.write(batch(1)));
            assertTrue(failure.getMessage().contains("disk full"), failure.getMessage());
            committer.write(batch(2));
        }
        assertEquals(List.of(2), store.committed());
    }

    @Test
    void closeWritesWhatIsWaitingAndRefusesTheRest() throws Exception {
        RecordingStore store = new RecordingStore();
        store.holdFirstCommit();
        GroupCommitter committer = new GroupCommitter(store, 64, Thread::new);
        CompletableFuture<Void> first = committer.submit(batch(0));
        store.awaitFirstCommitStarted();
        CompletableFuture<Void> waiting = committer.submit(batch(1));
        Thread closer = new Thread(committer::close);
        closer.start();
        store.releaseFirstCommit();
        closer.join(10_000);
        assertFalse(closer.isAlive());
        first.get(10, TimeUnit.SECONDS);
        waiting.get(10, TimeUnit.SECONDS);
        assertThrows(StoreUnavailableException.class, () -> committer.write(batch(2)));
        assertEquals(List.of(0, 1), store.committed());
    }

    /** Many writers: every batch is committed exactly once, each writer's in its order, in fewer commits. */
    @RepeatedTest(3)
    void concurrentWritersShareCommitsAndLoseNothing(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        RecordingStore store = new RecordingStore();
        store.failRandomly(new Random(seed), 0.02);
        int writers = 16;
        int perWriter = 500;
        List<Integer> failed = new CopyOnWriteArrayList<>();
        try (GroupCommitter committer = new GroupCommitter(store, 64, Thread::new)) {
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        int id = writer * perWriter + i;
                        try {
                            committer.write(batch(id));
                        } catch (StoreUnavailableException e) {
                            failed.add(id);
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread thread : threads) {
                thread.join(60_000);
                assertFalse(thread.isAlive(), "writer hung; seed " + seed);
            }
        }
        List<Integer> committed = store.committed();
        assertEquals(writers * perWriter, committed.size() + failed.size(), "each batch committed or failed; seed " + seed);
        assertEquals(committed.size(), Set.copyOf(committed).size(), "none twice; seed " + seed);
        Set<Integer> failedSet = Set.copyOf(failed);
        for (int id : committed) {
            assertFalse(failedSet.contains(id), "a failed batch was written; seed " + seed);
        }
        for (int w = 0; w < writers; w++) {
            int writer = w;
            List<Integer> own = committed.stream().filter(id -> id / perWriter == writer).toList();
            List<Integer> sorted = new ArrayList<>(own);
            Collections.sort(sorted);
            assertEquals(sorted, own, "writer " + w + " in order; seed " + seed);
        }
        assertTrue(store.commitCalls() < writers * perWriter, "some batches shared a commit; seed " + seed);
    }

    private static StoreBatch fencedBatch(int id) {
        return new StoreBatch(List.of(new StoreChange.RemoveSession(new SessionId(new java.util.UUID(0, id)))),
                new Fence("node-a", 1));
    }

    private static StoreBatch batch(int id) {
        return StoreBatch.of(new StoreChange.RemoveSession(new SessionId(new java.util.UUID(0, id))));
    }

    private static int idOf(StoreBatch batch) {
        return (int) batch.changes().get(0).sessionId().value().getLeastSignificantBits();
    }

    /** Records the groups it commits; fails on command, atomically (a failed group writes nothing). */
    private static final class RecordingStore implements RuntimeStore {

        private final List<List<Integer>> groups = new CopyOnWriteArrayList<>();
        private final Set<Integer> refused = ConcurrentHashMap.newKeySet();
        /** Sessions another node took: a fenced batch of one fails the whole commit, naming every such session. */
        private final Set<Integer> lost = ConcurrentHashMap.newKeySet();
        private final AtomicInteger failures = new AtomicInteger();
        private final AtomicInteger calls = new AtomicInteger();
        private volatile CountDownLatch firstStarted;
        private volatile CountDownLatch firstReleased;
        private Random random;
        private double failureRate;

        void holdFirstCommit() {
            firstStarted = new CountDownLatch(1);
            firstReleased = new CountDownLatch(1);
        }

        void awaitFirstCommitStarted() throws InterruptedException {
            assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
        }

        void releaseFirstCommit() {
            firstReleased.countDown();
        }

        void refuse(int id) {
            refused.add(id);
        }

        void lose(int id) {
            lost.add(id);
        }

        void failNextCommits(int count) {
            failures.set(count);
        }

        void failRandomly(Random seeded, double rate) {
            this.random = seeded;
            this.failureRate = rate;
        }

        List<List<Integer>> groups() {
            return List.copyOf(groups);
        }

        List<Integer> committed() {
            List<Integer> all = new ArrayList<>();
            groups.forEach(all::addAll);
            return all;
        }

        int commitCalls() {
            return calls.get();
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            calls.incrementAndGet();
            CountDownLatch started = firstStarted;
            if (started != null && started.getCount() > 0) {
                started.countDown();
                try {
                    assertTrue(firstReleased.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            List<Integer> ids = batches.stream().map(GroupCommitterTest::idOf).toList();
            if (failures.get() > 0 && failures.getAndDecrement() > 0) {
                throw new StoreUnavailableException("disk full", null);
            }
            Set<SessionId> lostHere = new java.util.HashSet<>();
            for (StoreBatch batch : batches) {
                if (batch.fence() != null && lost.contains(idOf(batch))) {
                    lostHere.add(batch.fencedSession());
                }
            }
            if (!lostHere.isEmpty()) {
                throw new OwnershipLostException(lostHere);
            }
            for (int id : ids) {
                if (refused.contains(id)) {
                    throw new IllegalStateException("constraint violated by batch " + id);
                }
            }
            // Only the writer thread calls commit: the seeded draws are in a replayable order.
            if (random != null && random.nextDouble() < failureRate) {
                throw new StoreUnavailableException("injected failure", null);
            }
            groups.add(ids);
        }

        @Override
        public void load(StoreVisitor visitor) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<CompletionOutcome> outcome(SessionId sessionId, InputId inputId) {
            return Optional.empty();
        }

        @Override
        public Optional<RunBoundaryReceipt> receipt(SessionId sessionId, RunId runId) {
            return Optional.empty();
        }

        @Override
        public long prune(RetentionPolicy policy) {
            return 0;
        }

        @Override
        public StoreInfo info() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }
}
