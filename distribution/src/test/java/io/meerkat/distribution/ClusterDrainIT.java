package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.LauncherCluster.Node;
import io.meerkat.distribution.PackagedLauncher.Result;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drain (issue 13): of three packaged launchers on one PostgreSQL, the one holding the most sessions is
 * drained with {@code bin/meerkat node drain --url URL} while each of its sessions has a slow run in
 * flight and more inputs queued, and seeded clients go on talking to every node, the draining one too.
 * Its sessions move to the others ({@code /v1/cluster}: it drains and holds none); the runs in flight
 * finish on it and are not cut short: every acknowledged input runs exactly once in the agent's run log,
 * on one node, and is consumed after one attempt, its completion answered alike by every node.
 * The seed is printed; {@code -Dmeerkat.seed=N} replays the clients' choices. Every wait is bounded.
 */
class ClusterDrainIT {

    private static final long SEED = Long.getLong("meerkat.seed", new Random().nextLong());
    /**
     * Long: a drain lets its sessions go at once, whatever the lease; a lease that lapsed under load would
     * cut a run short for another reason than the drain.
     */
    private static final long LEASE_TTL_MILLIS = 5000;
    private static final int NODES = 3;
    private static final int SESSIONS = 6;
    private static final int CLIENTS = 2;
    private static final int KEYS_PER_CLIENT = 25;
    private static final String NAME = "ClusterDrainIT";

    @TempDir
    Path work;

    private final ExecutorService clientThreads = Executors.newFixedThreadPool(CLIENTS);
    private final PackagedLauncher command = new PackagedLauncher();
    private LauncherCluster cluster;

    @AfterEach
    void stop() {
        clientThreads.shutdownNow();
        command.close();
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aDrainedNodeHandsItsSessionsOverWithNoAcknowledgedInputLostAndNoRunCutShort() throws Exception {
        String context = NAME + " seed " + SEED;
        System.out.println(context + " (replay the choices with -Dmeerkat.seed=" + SEED + ")");
        Random choices = new Random(SEED);
        long began = System.nanoTime();
        AgentRunLog runLog = new AgentRunLog(work.resolve("runs.log"));
        // Runs of a second, so that the drain finds them in flight; one attempt each, so a cut run would show.
        Path config = runLog.configuration(work, "1", "meerkat.runtime.retry.max-attempts=4");
        cluster = LauncherCluster.start(work, config, NODES, LEASE_TTL_MILLIS);
        List<Node> nodes = cluster.nodes();
        ClusterLedger ledger = new ClusterLedger(context, runLog);
        List<String> sessions = ClusterScenes.createSessions(nodes, SESSIONS);
        List<Node> routable = new CopyOnWriteArrayList<>(nodes);
        ClusterScenes.warmUp(ledger, new ClusterClient(routable, new Random(SEED), ledger.retries), sessions);

        Map<String, String> owners = ClusterScenes.ownersByRunLog(sessions, runLog, cluster);
        String victimId = ClusterScenes.holdingMost(owners, nodes, choices);
        Node victim = nodes.stream().filter(n -> n.id().equals(victimId)).findFirst().orElseThrow();
        List<String> held = owners.entrySet().stream().filter(e -> e.getValue().equals(victimId)).map(Map.Entry::getKey).toList();

        AtomicBoolean stopClients = new AtomicBoolean();
        ClusterLedger.Progress answered = new ClusterLedger.Progress();
        List<CompletableFuture<Void>> driving = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            driving.add(CompletableFuture.runAsync(ledger.new Client(i, SEED * 31 + i, routable, sessions, null, KEYS_PER_CLIENT,
                    stopClients, answered), clientThreads));
        }
        // Three inputs in each of its sessions, through it: one runs (a second), two wait.
        ClusterClient direct = new ClusterClient(List.of(victim), new Random(SEED), ledger.retries);
        long queuedFrom = runLog.size();
        for (String session : held) {
            for (int n = 0; n < 3; n++) {
                String key = ClusterLedger.key("queued", n, sessions.indexOf(session));
                assertTrue(ledger.submit(direct, session, key), context + ": " + key + " acknowledged: " + ledger.violations);
            }
        }
        try (AgentRunLog.Watch watch = runLog.watch()) {
            Map<String, Long> inFlight = ClusterScenes.awaitFirstRuns(runLog, watch, cluster, sessions, held, null, queuedFrom,
                    System.nanoTime(), Duration.ofSeconds(10));
            assertEquals(held.size(), inFlight.size(), context + ": each of " + victimId + "'s sessions " + held + " has a run in flight");
        }

        long drainStarted = System.nanoTime();
        Result drain = command.run("node", "drain", "--url", victim.uri().toString());
        System.out.printf("%s: drained %s (holding %s) in %d ms: exit %d, %s%s%n", context, victimId, held,
                millisSince(drainStarted), drain.exitCode(), drain.stdout().strip(), drain.stderr().strip());
        assertEquals(0, drain.exitCode(), context + ": node drain: " + drain.stdout() + drain.stderr() + cluster.logs());
        Node survivor = nodes.stream().filter(n -> n != victim).findFirst().orElseThrow();
        cluster.awaitCluster(survivor, Duration.ofMillis(LEASE_TTL_MILLIS + 10_000),
                c -> LauncherCluster.entry(c, victimId).path("draining").asBoolean(false)
                        && LauncherCluster.entry(c, victimId).path("sessions").asInt(-1) == 0,
                context + ": the drained " + victimId + " says it drains and holds no session");

        ClusterScenes.awaitAnswered(answered, answered.count() + 30, ledger, cluster);
        stopClients.set(true);
        CompletableFuture.allOf(driving.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        ledger.assertNoViolations(cluster);

        Set<String> consumed = ledger.checkInputs(cluster, nodes, 60);
        assertEquals(ledger.acked.size(), consumed.size(), context + ": every acknowledged input was consumed");
        Map<String, ClusterLedger.Runs> runs = ledger.checkRunLog(cluster, consumed, Set.of(), null);
        for (Map.Entry<String, ClusterLedger.Runs> entry : runs.entrySet()) {
            assertEquals(1, entry.getValue().nodes().size(), context + ": " + entry.getKey() + " ran once, not cut short by the drain: "
                    + entry.getValue().nodes());
        }
        for (ClusterLedger.Acked acked : ledger.acked.values()) {
            int attempts = victim.api().get("/v1/sessions/" + acked.session() + "/inputs/" + acked.inputId()).json().path("attempts").asInt();
            assertEquals(1, attempts, context + ": " + acked.inputId() + " was consumed after one attempt");
        }
        System.out.printf("%s: done at %d ms%n", context, millisSince(began));
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }
}
