package io.meerkat.runtime.store;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.api.spi.RuntimeStore;
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
        this.id = id;
        store = new FreezableStore(new PostgresStoreProvider().open(Map.of("url", url, "leaseTtlMs", String.valueOf(ttlMs))));
        runtime = MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(executors)
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

        FreezableStore(RuntimeStore delegate) {
            super(delegate);
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
                    return real.renew(nodeId);
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
