package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that lets a session go (another node claimed it: "ownership lost") while it answers a request for
 * it tells the client to ask again, 503 {@code session_moved}, as for any session between owners: never
 * 404 {@code session_not_found} (the session exists) nor 409 {@code not_ready} (the instance the drop stopped
 * is not the session, which runs on). Seen in ClusterSplitBrainIT: submits a survivor forwarded to a node
 * frozen with SIGSTOP were answered so once it woke and dropped its sessions. The drop is played here by a
 * {@link FakeCluster}: node B takes the session from node A in the middle of A's answer.
 */
class DroppedWhileAnsweringTest {

    @TempDir
    Path root;

    private Launcher launcher;
    private final FakeCluster cluster = new FakeCluster();
    private FakeCluster.Node nodeA;
    private FakeCluster.Node nodeB;
    private HttpApi apiA;
    private HttpApi apiB;
    private ApiClient clientA;

    @BeforeEach
    void twoNodes() {
        TestDistribution distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        LauncherConfig config = distribution.config(Map.of());
        launcher = Launcher.start(config, false, step -> { });
        nodeA = cluster.node("node-a", launcher.runtime());
        nodeB = cluster.node("node-b", launcher.runtime());
        apiA = HttpApi.start(config, context(nodeA));
        apiB = HttpApi.start(config, context(nodeB));
        nodeA.listensAt(apiA.baseUri());
        nodeB.listensAt(apiB.baseUri());
        clientA = new ApiClient(apiA.baseUri());
    }

    private ApiContext context(FakeCluster.Node node) {
        return new ApiContext(node, launcher.registry(), launcher.plugins(), launcher.felix(), launcher.metrics(),
                launcher.config().sessionConfigPolicy(), launcher.config().memory(), launcher.config().runs(), null);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {apiA, apiB, launcher}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @Test
    void aSubmitRefusedByTheInstanceTheDropStoppedIsSessionMovedAndTheRetryRunsOnTheNewOwner() {
        String session = clientA.createSession("echo", "{}");
        SessionId id = SessionId.parse(session);
        // As LeaseKeeper's drop does: the runtime forgets the session, then stops its instance, whose
        // submit under way is refused as any submit to a stopped session is.
        nodeA.wrapHandles(handle -> refusingSubmits(handle, () -> {
            nodeB.takes(id);
            return new RuntimeNotReadyException(id, RuntimeState.STOPPED, "input");
        }));

        ApiClient.Answer refused = clientA.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"hi\",\"idempotencyKey\":\"k\"}");
        assertEquals(503, refused.status(), refused.body());
        assertEquals("session_moved", refused.errorCode(), refused.body());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null), refused.body());

        ApiClient.Answer again = clientA.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"hi\",\"idempotencyKey\":\"k\"}");
        assertEquals(202, again.status(), "asked again, node A forwards to node B: " + again.body());
        assertEquals("accepted", again.text("outcome"), again.body());
    }

    @Test
    void aSessionGoneBetweenTheRoutingAndTheEndpointIsSessionMovedNotNotFound() {
        String session = clientA.createSession("echo", "{}");
        SessionId id = SessionId.parse(session);
        AtomicBoolean dropped = new AtomicBoolean();
        // The router finds the session here; the drop forgets it before the endpoint looks it up.
        nodeA.wrapHandles(handle -> {
            if (dropped.compareAndSet(false, true)) {
                nodeB.takes(id);
            }
            return handle;
        });

        ApiClient.Answer refused = clientA.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"hi\"}");
        assertEquals(503, refused.status(), refused.body());
        assertEquals("session_moved", refused.errorCode(), refused.body());
    }

    @Test
    void aSessionStoppedByAClientStaysNotReadyAndAnUnknownOneNotFound() {
        String session = clientA.createSession("echo", "{}");
        ApiClient.Answer stopped = clientA.post("/v1/sessions/" + session + "/runtime", "{\"command\":\"stop\"}");
        assertEquals(200, stopped.status(), stopped.body());

        ApiClient.Answer refused = clientA.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"hi\"}");
        assertEquals(409, refused.status(), refused.body());
        assertEquals("not_ready", refused.errorCode(), refused.body());
        ApiClient.Answer unknown = clientA.post("/v1/sessions/" + SessionId.random() + "/inputs", "{\"text\":\"hi\"}");
        assertEquals(404, unknown.status(), unknown.body());
        assertEquals("session_not_found", unknown.errorCode(), unknown.body());
    }

    /** The handle, whose submits throw what {@code refusal} makes (once it has done its part). */
    private static SessionHandle refusingSubmits(SessionHandle handle, java.util.function.Supplier<RuntimeException> refusal) {
        return (SessionHandle) Proxy.newProxyInstance(SessionHandle.class.getClassLoader(), new Class<?>[] {SessionHandle.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("submit") || method.getName().equals("accept")) {
                        throw refusal.get();
                    }
                    try {
                        return method.invoke(handle, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
