package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.LauncherCluster.Node;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import tools.jackson.databind.JsonNode;

/**
 * Split brain (issue 13): of three packaged launchers on one PostgreSQL with a 2 s lease, the one holding
 * the most sessions is frozen with SIGSTOP while each of its sessions has a run in flight (the agent goes
 * on sleeping: the process executor's program is not frozen) and more inputs queued. The others take its
 * sessions over once its leases lapse and run everything queued there, the run cut off included, while
 * seeded clients go on submitting through them. Then SIGCONT: the woken node's writes for those sessions
 * (the end of the run it had in flight, its lease renewals) carry a stale epoch and are refused; it logs
 * "ownership lost", drops the sessions and runs nothing more of them ({@code /v1/cluster} shows it alive
 * with none); no input is consumed twice (states, and the run log: the woken node logs no run after the
 * freeze); every node, the woken one too, answers every completion alike.
 * The seed is printed; {@code -Dmeerkat.seed=N} replays the clients' choices. Every wait is bounded.
 */
class ClusterSplitBrainIT {

    private static final long SEED = Long.getLong("meerkat.seed", new Random().nextLong());
    private static final long LEASE_TTL_MILLIS = 2000;
    private static final int NODES = 3;
    private static final int SESSIONS = 6;
    private static final int CLIENTS = 2;
    private static final int KEYS_PER_CLIENT = 25;
    private static final String NAME = "ClusterSplitBrainIT";

    @TempDir
    Path work;

    private final ExecutorService clientThreads = Executors.newFixedThreadPool(CLIENTS);
    private LauncherCluster cluster;

    @AfterEach
    void stop() {
        clientThreads.shutdownNow();
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aNodeFrozenPastItsLeasesHasItsWritesRefusedOnWakingDropsTheSessionsAndNothingRunsTwice() throws Exception {
        String context = NAME + " seed " + SEED;
        System.out.println(context + " (replay the choices with -Dmeerkat.seed=" + SEED + ")");
        Random choices = new Random(SEED);
        long began = System.nanoTime();
        AgentRunLog runLog = new AgentRunLog(work.resolve("runs.log"));
        // Runs of a second: the frozen node's are surely in flight, past their start, when it freezes.
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
        List<Node> survivors = nodes.stream().filter(n -> n != victim).toList();

        // Three inputs in each of its sessions, through it: one runs (a second), two wait.
        ClusterClient direct = new ClusterClient(List.of(victim), new Random(SEED), ledger.retries);
        long queuedFrom = runLog.size();
        List<String> queuedKeys = new ArrayList<>();
        for (String session : held) {
            for (int n = 0; n < 3; n++) {
                String key = ClusterLedger.key("queued", n, sessions.indexOf(session));
                assertTrue(ledger.submit(direct, session, key), context + ": " + key + " acknowledged: " + ledger.violations);
                queuedKeys.add(key);
            }
        }
        Map<String, Long> inFlight;
        try (AgentRunLog.Watch watch = runLog.watch()) {
            inFlight = ClusterScenes.awaitFirstRuns(runLog, watch, cluster, sessions, held, null, queuedFrom, System.nanoTime(),
                    Duration.ofSeconds(10));
        }
        assertEquals(held.size(), inFlight.size(), context + ": each of " + victimId + "'s sessions " + held + " has a run in flight");
        cluster.freeze(victim);
        long frozenOffset = runLog.size();
        long frozenAt = System.nanoTime();
        System.out.printf("%s: %s (pid %d) frozen at %d ms, holding %s%n", context, victimId, victim.pid(), millisSince(began), held);

        // Submits sent to the frozen node itself: its socket takes them, it reads them when it wakes. Each is
        // refused (503 ownership_lost: its write for a session it lost changes nothing; or session_moved), or
        // forwarded to the new owner once it has let the session go, and acknowledged there.
        Map<String, CompletableFuture<Answer>> stale = new LinkedHashMap<>();
        for (String session : held) {
            String key = ClusterLedger.key("stale", 0, sessions.indexOf(session));
            stale.put(key, CompletableFuture.supplyAsync(() -> victim.api().send(victim.api()
                    .request("/v1/sessions/" + session + "/inputs").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(AgentRunLog.input(key))))));
        }
        // A load balancer's health check takes the frozen node out; the clients go on through the others.
        routable.remove(victim);
        AtomicBoolean stopClients = new AtomicBoolean();
        ClusterLedger.Progress answered = new ClusterLedger.Progress();
        List<CompletableFuture<Void>> driving = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            driving.add(CompletableFuture.runAsync(ledger.new Client(i, SEED * 31 + i, routable, sessions, null, KEYS_PER_CLIENT,
                    stopClients, answered), clientThreads));
        }
        cluster.awaitCluster(survivors.get(0), Duration.ofMillis(LEASE_TTL_MILLIS + 10_000),
                c -> !LauncherCluster.entry(c, victimId).path("alive").asBoolean(true)
                        && LauncherCluster.entry(c, victimId).path("sessions").asInt(-1) == 0,
                context + ": the frozen " + victimId + " is taken for dead and holds no session");
        // Everything queued on it runs on the others, the run it had in flight again, before it wakes.
        ClusterClient viaSurvivors = new ClusterClient(survivors, new Random(SEED), ledger.retries);
        for (String key : queuedKeys) {
            ledger.poll(viaSurvivors, key, 20_000);
            assertTrue(ledger.completedBefore.containsKey(ledger.acked.get(key).inputId()),
                    context + ": " + key + " completed on a survivor while " + victimId + " was frozen: " + ledger.violations + cluster.logs());
        }
        long thawedOffset = runLog.size();
        cluster.thaw(victim);
        System.out.printf("%s: %s thawed after %d ms frozen%n", context, victimId, millisSince(frozenAt));

        awaitLog(victim, "ownership lost", Duration.ofSeconds(15), context);
        victim.log().lines().filter(line -> line.contains("ownership lost"))
                .forEach(line -> System.out.println(context + ": " + victimId + " logged: " + line));
        for (Map.Entry<String, CompletableFuture<Answer>> entry : stale.entrySet()) {
            String key = entry.getKey();
            String session = sessions.get(ClusterLedger.sessionOf(key));
            Answer answer = entry.getValue().get(30, TimeUnit.SECONDS);
            System.out.printf("%s: %s, sent to the frozen %s, answered %d %s%n", context, key, victimId, answer.status(), answer.body());
            if (answer.status() == 202) {
                assertTrue(ledger.acknowledge(answer, session, key), context + ": " + key + ": " + answer.body());
                continue;
            }
            assertEquals(503, answer.status(), context + ": " + key + " sent to the frozen " + victimId + ": " + answer.body());
            Answer again = viaSurvivors.post("/v1/sessions/" + session + "/inputs", AgentRunLog.input(key));
            if (answer.errorCode().equals("ownership_lost")) {
                assertEquals("accepted", again.text("outcome"), context + ": the refused write of " + key + " stored nothing: "
                        + again.body());
            } else {
                assertEquals("session_moved", answer.errorCode(), context + ": " + key + ": " + answer.body());
            }
            assertTrue(ledger.acknowledge(again, session, key), context + ": " + key + " sent again: " + again.body());
        }
        JsonNode after = cluster.awaitCluster(victim, Duration.ofSeconds(15),
                c -> LauncherCluster.entry(c, victimId).path("alive").asBoolean(false)
                        && LauncherCluster.entry(c, victimId).path("sessions").asInt(-1) == 0,
                context + ": the woken " + victimId + " is alive again and holds no session");
        long survivorsHold = survivors.stream().mapToLong(n -> LauncherCluster.entry(after, n.id()).path("sessions").asLong()).sum();
        assertTrue(survivorsHold >= held.size(), context + ": the survivors hold " + victimId + "'s sessions: " + after);

        // The woken node answers again, forwarding to the owners; a little more load through every node.
        routable.add(victim);
        ClusterScenes.awaitAnswered(answered, answered.count() + 30, ledger, cluster);
        stopClients.set(true);
        CompletableFuture.allOf(driving.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        ledger.assertNoViolations(cluster);

        Set<String> consumed = ledger.checkInputs(cluster, nodes, 60);
        Map<String, ClusterLedger.Runs> runs = ledger.checkRunLog(cluster, consumed, Set.of(victimId), null);
        for (Map.Entry<String, ClusterLedger.Runs> entry : runs.entrySet()) {
            List<String> ranOn = entry.getValue().nodes();
            List<Long> offsets = entry.getValue().offsets();
            for (int i = 0; i < ranOn.size(); i++) {
                assertFalse(ranOn.get(i).equals(victimId) && offsets.get(i) >= frozenOffset, context + ": the frozen "
                        + victimId + " ran " + entry.getKey() + " after its freeze (log offset " + offsets.get(i) + ", thawed at "
                        + thawedOffset + ")" + cluster.logs());
            }
        }
        System.out.printf("%s: done at %d ms%n", context, millisSince(began));
    }

    private static void awaitLog(Node node, String text, Duration patience, String context) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!node.log().contains(text)) {
            assertTrue(System.nanoTime() < deadline, context + ": " + node.id() + " logs \"" + text + "\" within "
                    + patience.toMillis() + " ms; its log:\n" + node.log());
            Thread.sleep(50);   // polling period of another process's log file
        }
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }
}
