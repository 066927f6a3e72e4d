package io.meerkat.runtime.store;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.runtime.testkit.ForwardingRuntimeStore;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A node of a cluster in one test JVM: a store of its own on the shared database (its own pool, as a launcher
 * has), a runtime with {@link LedgerExecutorFactory} executors, and a switch that freezes its lease work.
 */
final class TestNode implements AutoCloseable {
    final String id;
    final LedgerExecutorFactory executors = new LedgerExecutorFactory();
    final FreezableStore store;
    final MeerkatRuntime runtime;

    TestNode(String url, String id, int ttlMs, int maxBatchSize) {
        this(url, id, ttlMs, maxBatchSize, null);
    }

    /** A node whose sessions of kind {@link LedgerExecutorFactory#KIND} get their executors from {@code factory}. */
    TestNode(String url, String id, int ttlMs, int maxBatchSize, ExecutorFactory factory) {
        this.id = id;
        store = new FreezableStore(new PostgresStoreProvider().open(Map.of("url", url, "leaseTtlMs", String.valueOf(ttlMs))));
        runtime = MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(factory == null ? executors : factory)
                .completionRegistry(new InMemoryCompletionRegistry())
                .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(20)))
                .maxBatchSize(maxBatchSize)
                .store(store)
                .clusterNode(id, () -> URI.create("http://127.0.0.1/" + id))
                .build();
    }

    RuntimeCluster cluster() {
        return runtime.cluster().orElseThrow();
    }

    @Override
    public void close() {
        runtime.close();
        store.close();
    }

    /**
     * A store whose lease renewals and heartbeats fail once frozen: the node goes on running, but proves
     * ownership no more, as a node cut off from the database, or frozen, would.
     */
    static final class FreezableStore extends ForwardingRuntimeStore {
        volatile boolean frozen;
        /** Owner lookups still to answer "no such session" (as one made just before another node's creation would). */
        final AtomicInteger ownerLookupsToHide = new AtomicInteger();
        /** Renewals that got through. */
        final AtomicInteger renewals = new AtomicInteger();
        /** Runs on the writer thread after each commit went through, before the committer hears of it. */
        volatile Consumer<List<StoreBatch>> afterCommit = batches -> { };

        FreezableStore(RuntimeStore delegate) {
            super(delegate);
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            super.commit(batches);
            afterCommit.accept(batches);
        }

        @Override
        public Optional<ClusterStore> cluster() {
            ClusterStore real = delegate.cluster().orElseThrow();
            return Optional.of(new ClusterStore() {
                @Override
                public Duration leaseTtl() {
                    return real.leaseTtl();
                }

                @Override
                public void heartbeat(String nodeId, URI advertise, boolean draining) {
                    refuseIfFrozen();
                    real.heartbeat(nodeId, advertise, draining);
                }

                @Override
                public List<Lease> renew(String nodeId) {
                    refuseIfFrozen();
                    List<Lease> renewed = real.renew(nodeId);
                    renewals.incrementAndGet();
                    return renewed;
                }

                @Override
                public List<Lease> adopt(String nodeId) {
                    return real.adopt(nodeId);
                }

                @Override
                public List<Lease> claim(String nodeId, int max) {
                    refuseIfFrozen();
                    return real.claim(nodeId, max);
                }

                @Override
                public void release(Collection<Lease> leases) {
                    real.release(leases);
                }

                @Override
                public void leave(String nodeId) {
                    real.leave(nodeId);
                }

                @Override
                public Optional<SessionOwner> owner(SessionId sessionId) {
                    if (ownerLookupsToHide.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        return Optional.empty();
                    }
                    return real.owner(sessionId);
                }

                @Override
                public List<ClusterNode> nodes() {
                    return real.nodes();
                }

                @Override
                public void load(Collection<SessionId> sessions, StoreVisitor visitor) {
                    real.load(sessions, visitor);
                }
            });
        }

        private void refuseIfFrozen() {
            if (frozen) {
                throw new StoreUnavailableException("frozen by the test", null);
            }
        }
    }

}
