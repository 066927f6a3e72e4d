package io.meerkat.distribution.http;

import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.DrainReport;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import io.meerkat.runtime.api.cluster.SessionOwner;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * A cluster in a test's hands: who owns each session (as a store would say), and nodes that are views of one
 * real runtime, each seeing only the sessions it is told it runs. No store, no leases: the tests move
 * sessions by setting their owner.
 */
final class FakeCluster {

    private final Map<SessionId, SessionOwner> owners = new ConcurrentHashMap<>();
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();

    /** A node named {@code id} over {@code runtime}; its address is set once its API listens. */
    Node node(String id, MeerkatRuntime runtime) {
        Node node = new Node(id, runtime);
        nodes.put(id, node);
        return node;
    }

    /** Says {@code node} owns the session (live or not) at {@code address}. */
    void own(SessionId session, String node, URI address, boolean live) {
        SessionOwner previous = owners.get(session);
        long epoch = previous == null ? 1 : previous.epoch() + 1;
        owners.put(session, new SessionOwner(session, node, address, epoch, live));
    }

    /** One node: a {@link MeerkatRuntime} that answers for the sessions it runs, and its {@link RuntimeCluster}. */
    final class Node implements MeerkatRuntime, RuntimeCluster {

        private final String id;
        private final MeerkatRuntime runtime;
        private final Set<SessionId> runs = ConcurrentHashMap.newKeySet();
        private volatile URI advertise;
        private volatile boolean draining;
        private volatile UnaryOperator<SessionHandle> handles = UnaryOperator.identity();
        /** What a drain waits for before it lets go (the runs in flight finishing). */
        private volatile CompletableFuture<Void> runsFinished = CompletableFuture.completedFuture(null);

        private Node(String id, MeerkatRuntime runtime) {
            this.id = id;
            this.runtime = runtime;
        }

        void listensAt(URI address) {
            this.advertise = address;
        }

        /** This node runs the session from now on, and the store says so. */
        void takes(SessionId session) {
            nodes.values().forEach(node -> node.runs.remove(session));
            runs.add(session);
            own(session, id, advertise, true);
        }

        /** This node stops running the session (the store is left as it is). */
        void drops(SessionId session) {
            runs.remove(session);
        }

        /** A drain waits for {@code finished} before it lets go of the sessions. */
        void drainWaitsFor(CompletableFuture<Void> finished) {
            this.runsFinished = finished;
        }

        /** The handles this node hands out go through {@code wrap} (to hold or replace completions). */
        void wrapHandles(UnaryOperator<SessionHandle> wrap) {
            this.handles = wrap;
        }

        // --- MeerkatRuntime ---

        @Override
        public SessionHandle createSession(SessionSpec spec) {
            SessionHandle created = runtime.createSession(spec);
            takes(created.id());
            return handles.apply(created);
        }

        @Override
        public Optional<SessionHandle> session(SessionId sessionId) {
            return runs.contains(sessionId) ? runtime.session(sessionId).map(handles) : Optional.empty();
        }

        @Override
        public Collection<SessionHandle> sessions() {
            List<SessionHandle> mine = new ArrayList<>();
            for (SessionHandle session : runtime.sessions()) {
                if (runs.contains(session.id())) {
                    mine.add(handles.apply(session));
                }
            }
            return mine;
        }

        @Override
        public LifecycleReport removeSession(SessionId sessionId) {
            runs.remove(sessionId);
            owners.remove(sessionId);
            return runtime.removeSession(sessionId);
        }

        @Override
        public Optional<RuntimeCluster> cluster() {
            return Optional.of(this);
        }

        @Override
        public Set<String> executorKinds() {
            return runtime.executorKinds();
        }

        @Override
        public void close() {
            // The real runtime belongs to the test's launcher.
        }

        // --- RuntimeCluster ---

        @Override
        public String nodeId() {
            return id;
        }

        @Override
        public URI advertise() {
            return advertise;
        }

        @Override
        public Duration leaseTtl() {
            return Duration.ofSeconds(5);
        }

        @Override
        public Optional<SessionOwner> owner(SessionId sessionId) {
            return Optional.ofNullable(owners.get(sessionId));
        }

        @Override
        public List<ClusterNode> nodes() {
            return nodes.values().stream().sorted((a, b) -> a.id.compareTo(b.id))
                    .map(node -> new ClusterNode(node.id, node.advertise, Instant.parse("2026-12-07T18:00:00Z"),
                            Duration.ofMillis(120), true, node.draining, node.runs.size()))
                    .toList();
        }

        @Override
        public boolean draining() {
            return draining;
        }

        /** Lets go of every session: the store says they have no live owner until another node takes them. */
        @Override
        public DrainReport drain(Duration deadline) {
            draining = true;
            runsFinished.join();
            int released = runs.size();
            for (SessionId session : runs) {
                own(session, null, null, false);
            }
            runs.clear();
            return new DrainReport(released, 0, Duration.ofMillis(7));
        }
    }
}
