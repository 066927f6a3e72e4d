package io.meerkat.distribution.http;

import io.meerkat.distribution.OwnThread;
import io.meerkat.runtime.api.cluster.DrainReport;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster this launcher is a node of: {@code GET /v1/cluster} (this node, the lease time to live, every
 * node the store knows with its heartbeat and sessions) and {@code POST /v1/node/drain} (hands this node's
 * sessions to the others, then answers what it did). A launcher on its own answers 404 {@code not_clustered}.
 */
final class ClusterEndpoints {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterEndpoints.class);
    static final long DEFAULT_DRAIN_DEADLINE_MS = 30_000;
    static final long MAX_DRAIN_DEADLINE_MS = 600_000;

    private final ApiContext context;

    ClusterEndpoints(ApiContext context) {
        this.context = context;
    }

    List<Route> routes() {
        return List.of(
                Route.of("GET", "/v1/cluster", Endpoint.now(exchange -> Reply.ok(cluster()))),
                Route.of("POST", "/v1/node/drain", this::drain));
    }

    private RuntimeCluster node() {
        return context.runtime().cluster().orElseThrow(() -> ApiException.notFound("not_clustered",
                "this launcher runs on its own; a cluster is several launchers on one database (--store postgres)"));
    }

    private Views.Cluster cluster() {
        RuntimeCluster cluster = node();
        List<Views.ClusterNode> nodes = cluster.nodes().stream().map(Views.ClusterNode::of).toList();
        return new Views.Cluster(new Views.ThisNode(cluster.nodeId(), text(cluster.advertise()), cluster.draining()),
                cluster.leaseTtl().toMillis(), nodes);
    }

    /**
     * Runs the drain on a thread of its own (it waits up to its deadline for the runs in flight): no server
     * thread waits with it.
     */
    private CompletableFuture<Reply> drain(Exchange exchange) {
        RuntimeCluster cluster = node();
        Requests.Drain request = exchange.body(Requests.Drain.class);
        long deadlineMs = request.deadlineMs() == null ? DEFAULT_DRAIN_DEADLINE_MS : request.deadlineMs();
        if (deadlineMs < 0 || deadlineMs > MAX_DRAIN_DEADLINE_MS) {
            throw ApiException.badRequest("invalid_field", "'deadlineMs' must be between 0 and " + MAX_DRAIN_DEADLINE_MS
                    + ", was " + deadlineMs);
        }
        LOG.info("draining node {}: its sessions go to the other nodes (deadline {} ms)", cluster.nodeId(), deadlineMs);
        return OwnThread.supply("meerkat-drain", () -> {
            // The lease keeper logs what the drain did.
            DrainReport report = cluster.drain(Duration.ofMillis(deadlineMs));
            return Reply.ok(new Views.Drained(cluster.nodeId(), report.released(), report.cutShort(),
                    report.took().toMillis()));
        });
    }


    private static String text(Object value) {
        return value == null ? null : value.toString();
    }
}
