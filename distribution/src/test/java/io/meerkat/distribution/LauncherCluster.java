package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import io.meerkat.runtime.store.testpg.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * Packaged launchers ({@code bin/meerkat serve}) as the nodes of one cluster: each its own process on a
 * loopback port with its own data folder, all on one fresh database of the tests' PostgreSQL
 * ({@link TestPostgres}), with a short lease. Faults are real signals to the node's JVM ({@code bin/meerkat}
 * execs it): SIGKILL, SIGSTOP, SIGCONT. {@link #close()} kills every node, a frozen one too (SIGKILL ends a
 * stopped process), and whatever agent program they left.
 */
final class LauncherCluster implements AutoCloseable {

    /** One node: its name, its process and API address, its standard error (its log). */
    record Node(String id, Served served, ApiClient api) {
        long pid() {
            return served.process().pid();
        }

        URI uri() {
            return served.uri();
        }

        String log() {
            try {
                return Files.readString(served.stderr());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** One per node: each starts its own, at the same time as the others. */
    private final List<PackagedLauncher> launchers = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<ProcessHandle> agents = new ArrayList<>();
    private final long leaseTtlMillis;

    private LauncherCluster(long leaseTtlMillis) {
        this.leaseTtlMillis = leaseTtlMillis;
    }

    /**
     * Starts {@code count} nodes {@code n0, n1, ...} together with {@code config}, on a new database, each
     * with its data folder under {@code work}, logging at INFO (the "ownership lost" line); returns once all
     * are ready.
     */
    static LauncherCluster start(Path work, Path config, int count, long leaseTtlMillis) throws Exception {
        LauncherCluster cluster = new LauncherCluster(leaseTtlMillis);
        String url = TestPostgres.shared().newDatabase();
        List<CompletableFuture<Node>> starting = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "n" + i;
            PackagedLauncher launcher = new PackagedLauncher();
            cluster.launchers.add(launcher);
            Path data = Files.createDirectories(work.resolve("data-" + id));
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    Served served = launcher.serve(Map.of("MEERKAT_LOG_LEVEL", "info"), "--config", config.toString(),
                            "--data", data.toString(), "--store", "postgres", "--store-url", url,
                            "--node-id", id, "--lease-ttl-ms", Long.toString(leaseTtlMillis));
                    return new Node(id, served, new ApiClient(served.uri()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        try {
            for (CompletableFuture<Node> node : starting) {
                // serve() waits at most 60 s for each; this bounds the whole start the same way.
                cluster.nodes.add(node.get(90, TimeUnit.SECONDS));
            }
        } catch (Exception | Error e) {
            // Every start ends (ready or failed, within serve()'s own bound) before the processes are killed.
            CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).handle((all, failed) -> null)
                    .get(90, TimeUnit.SECONDS);
            cluster.close();
            throw e;
        }
        return cluster;
    }

    List<Node> nodes() {
        return List.copyOf(nodes);
    }

    long leaseTtlMillis() {
        return leaseTtlMillis;
    }

    /** The node whose JVM has this pid (the parent of the agents it runs), or null. */
    Node byPid(long pid) {
        return nodes.stream().filter(node -> node.pid() == pid).findFirst().orElse(null);
    }

    /** SIGKILL, then waits for the process to end. */
    void kill(Node node) throws InterruptedException {
        rememberAgents(node);
        node.served().process().destroyForcibly();
        assertTrue(node.served().process().waitFor(20, TimeUnit.SECONDS), node.id() + " died of SIGKILL");
        assertEquals(128 + 9, node.served().process().exitValue(), node.id() + " was killed by SIGKILL, not stopped");
    }

    /** SIGSTOP: the JVM stops where it is, its agent programs go on. */
    void freeze(Node node) throws Exception {
        rememberAgents(node);
        signal(node, "-STOP");
    }

    /** SIGCONT. */
    void thaw(Node node) throws Exception {
        signal(node, "-CONT");
    }

    /** {@code GET /v1/cluster} asked of {@code via}. */
    JsonNode cluster(Node via) {
        Answer answer = via.api().get("/v1/cluster");
        assertEquals(200, answer.status(), "GET /v1/cluster of " + via.id() + ": " + answer.body());
        return answer.json();
    }

    /** The entry of {@code id} in a {@code GET /v1/cluster} answer; missing node if absent. */
    static JsonNode entry(JsonNode cluster, String id) {
        for (JsonNode node : cluster.path("nodes")) {
            if (node.path("id").asString().equals(id)) {
                return node;
            }
        }
        return tools.jackson.databind.node.MissingNode.getInstance();
    }

    /**
     * Asks {@code via} for {@code GET /v1/cluster} every 50 ms until {@code until} holds, at most
     * {@code patience}; returns that answer, or fails with the last one.
     */
    JsonNode awaitCluster(Node via, Duration patience, Predicate<JsonNode> until, String what) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = cluster(via);
                if (until.test(last)) {
                    return last;
                }
            } catch (UncheckedIOException | AssertionError notYet) {
                last = null;
            }
            Thread.sleep(50);   // polling period of a state only visible over HTTP
        }
        throw new AssertionError(what + " within " + patience.toMillis() + " ms; /v1/cluster of " + via.id() + " said " + last);
    }

    /** The logs of every node, for a failure's message. */
    String logs() {
        StringBuilder logs = new StringBuilder();
        for (Node node : nodes) {
            logs.append("\n--- log of ").append(node.id()).append(" (pid ").append(node.pid()).append(")\n").append(node.log());
        }
        return logs.toString();
    }

    @Override
    public void close() {
        for (Node node : nodes) {
            rememberAgents(node);
        }
        launchers.forEach(PackagedLauncher::close);
        // Handles carry the process's start time: a pid the system reused meanwhile is not touched.
        agents.forEach(ProcessHandle::destroyForcibly);
    }

    private void rememberAgents(Node node) {
        node.served().process().descendants().forEach(agents::add);
    }

    private static void signal(Node node, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(node.pid())).redirectErrorStream(true).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill " + signal + " finished");
        assertEquals(0, kill.exitValue(), "kill " + signal + " " + node.pid() + ": " + new String(kill.getInputStream().readAllBytes()));
    }
}
