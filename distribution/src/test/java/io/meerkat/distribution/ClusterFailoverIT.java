package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.LauncherCluster.Node;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
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
 * Failover (issue 13): three packaged launchers on loopback ports share one PostgreSQL with a 2 s lease.
 * Seeded clients talk to random nodes (as behind a load balancer): they submit with idempotency keys,
 * long-poll completions, resubmit, cancel the runs of one session and stop another, sending a request
 * again after a bounded backoff when a node is gone or answers 503 {@code session_moved}. Mid-load the
 * node holding the most sessions is killed with SIGKILL, just after one more input was acknowledged in
 * each of its sessions. Then:
 * <ul>
 *   <li>every session of the killed node runs again on a survivor within TTL + 2 s of the kill: measured
 *       from the kill to the first run a survivor logs in it (the failover time, printed), and to the moment
 *       {@code /v1/cluster} shows the dead node holding nothing and the survivors every session;</li>
 *   <li>every acknowledged input is consumed exactly once in state (or abandoned, in the cancelled or the
 *       stopped session only), and every live node answers its completion alike;</li>
 *   <li>in the agent's run log no input runs again once a client saw it completed, and none runs more
 *       often than its lifecycle counts attempts: a run again is of a run the kill (or a lease that lapsed
 *       under load) cut short, which the recovery counted.</li>
 * </ul>
 * The failover figures are BENCHMARKS.md's (issue 13). The seed is printed; {@code -Dmeerkat.seed=N} replays
 * the clients' choices (the timing is the machine's).
 * Loopback only; every wait is bounded.
 */
class ClusterFailoverIT {

    private static final long SEED = Long.getLong("meerkat.seed", new Random().nextLong());
    /** 2 s; {@code -Dmeerkat.cluster.leaseTtlMs=N} measures failover with another lease (BENCHMARKS.md). */
    private static final long LEASE_TTL_MILLIS = Long.getLong("meerkat.cluster.leaseTtlMs", 2000);
    private static final int NODES = 3;
    private static final int SESSIONS = 6;
    private static final int CLIENTS = 4;
    private static final int KEYS_PER_CLIENT = 60;
    private static final String NAME = "ClusterFailoverIT";

    @TempDir
    Path work;

    private final ExecutorService clientThreads = Executors.newFixedThreadPool(CLIENTS);
    private LauncherCluster cluster;
    private AgentRunLog.Watch watch;

    @AfterEach
    void stop() {
        clientThreads.shutdownNow();
        if (watch != null) {
            watch.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theSessionsOfAKilledNodeRunOnOnSurvivorsWithinTheLeaseAndNothingAcknowledgedIsLostOrRunAgainAfterItsReceipt()
            throws Exception {
        String context = NAME + " seed " + SEED;
        System.out.println(context + " (replay the choices with -Dmeerkat.seed=" + SEED + ")");
        Random choices = new Random(SEED);
        long began = System.nanoTime();
        AgentRunLog runLog = new AgentRunLog(work.resolve("runs.log"));
        // A run the kill cuts short counts as an attempt; no input fails otherwise.
        Path config = runLog.configuration(work, "0.1", "meerkat.runtime.retry.max-attempts=4");
        cluster = LauncherCluster.start(work, config, NODES, LEASE_TTL_MILLIS);
        List<Node> nodes = cluster.nodes();
        System.out.printf("%s: %d nodes ready at %d ms%n", context, NODES, millisSince(began));
        watch = runLog.watch();
        ClusterLedger ledger = new ClusterLedger(context, runLog);

        List<String> sessions = ClusterScenes.createSessions(nodes, SESSIONS);
        String cancelSession = sessions.get(SESSIONS - 2);
        String stopSession = sessions.get(SESSIONS - 1);
        List<Node> routable = new CopyOnWriteArrayList<>(nodes);
        ClusterScenes.warmUp(ledger, new ClusterClient(routable, new Random(SEED), ledger.retries), sessions);

        AtomicBoolean stopClients = new AtomicBoolean();
        ClusterLedger.Progress answered = new ClusterLedger.Progress();
        List<CompletableFuture<Void>> driving = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            driving.add(CompletableFuture.runAsync(ledger.new Client(i, SEED * 31 + i, routable, sessions, cancelSession,
                    KEYS_PER_CLIENT, stopClients, answered), clientThreads));
        }
        // The stop and the kill land after seeded numbers of the clients' requests have been answered.
        int stopAfter = 10 + choices.nextInt(30);
        int killAfter = stopAfter + 20 + choices.nextInt(60);
        ClusterScenes.awaitAnswered(answered, stopAfter, ledger, cluster);
        ledger.stop(new ClusterClient(routable, new Random(SEED + 1), ledger.retries), stopSession);
        ClusterScenes.awaitAnswered(answered, killAfter, ledger, cluster);

        // The victim: the node that ran the most sessions' latest runs (where their leases are).
        Map<String, String> owners = ClusterScenes.ownersByRunLog(sessions, runLog, cluster);
        String victimId = ClusterScenes.holdingMost(owners, nodes, choices);
        Node victim = nodes.stream().filter(n -> n.id().equals(victimId)).findFirst().orElseThrow();
        List<String> moved = new ArrayList<>();
        owners.forEach((session, owner) -> {
            if (owner.equals(victim.id()) && !session.equals(stopSession) && !session.equals(cancelSession)) {
                moved.add(session);
            }
        });
        assertFalse(moved.isEmpty(), context + ": the victim " + victim.id() + " runs a session that is neither cancelled nor stopped: " + owners);
        JsonNode before = cluster.cluster(victim);
        assertTrue(LauncherCluster.entry(before, victim.id()).path("sessions").asInt() >= moved.size(),
                context + ": /v1/cluster counts the sessions the run log shows on " + victim.id() + ": " + before + "; owners " + owners);
        // Work queued in each of them at the kill: an input acknowledged just before, still unfinished (a run takes 100 ms).
        ClusterClient direct = new ClusterClient(List.of(victim), new Random(SEED), ledger.retries);
        for (String session : moved) {
            String key = ClusterLedger.key("probe", 0, sessions.indexOf(session));
            assertTrue(ledger.submit(direct, session, key), context + ": the probe " + key + " was acknowledged: " + ledger.violations);
        }
        List<Node> survivors = nodes.stream().filter(n -> n != victim).toList();
        long killOffset = runLog.size();
        long killedAt = System.nanoTime();
        // The owner change as /v1/cluster shows it: the dead node holds nothing, the survivors every session.
        CompletableFuture<Long> allClaimed = CompletableFuture.supplyAsync(() -> {
            try {
                cluster.awaitCluster(survivors.get(0), Duration.ofMillis(LEASE_TTL_MILLIS + 10_000), c ->
                        !LauncherCluster.entry(c, victim.id()).path("alive").asBoolean(true)
                                && LauncherCluster.entry(c, victim.id()).path("sessions").asInt(-1) == 0
                                && survivors.stream().mapToInt(n -> LauncherCluster.entry(c, n.id()).path("sessions").asInt()).sum() == SESSIONS,
                        context + ": the killed " + victim.id() + " is dead and the survivors hold all " + SESSIONS + " sessions");
                return millisSince(killedAt);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        cluster.kill(victim);
        System.out.printf("%s: %s (pid %d) killed at %d ms, holding %s; %d requests answered%n", context, victim.id(),
                victim.pid(), millisSince(began), moved, answered.count());

        Map<String, Long> failover = ClusterScenes.awaitFirstRuns(runLog, watch, cluster, sessions, moved, victim, killOffset,
                killedAt, Duration.ofMillis(LEASE_TTL_MILLIS + 10_000));
        long claimedMillis = allClaimed.get(LEASE_TTL_MILLIS + 20_000, TimeUnit.MILLISECONDS);
        // A little more load on the survivors, then the clients stop and everything drains.
        ClusterScenes.awaitAnswered(answered, answered.count() + 40, ledger, cluster);
        stopClients.set(true);
        CompletableFuture.allOf(driving.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        ledger.assertNoViolations(cluster);

        System.out.printf("%s: failover (SIGKILL to the first run on a survivor) per session, ms: %s; every session on a survivor"
                + " in /v1/cluster after %d ms; lease TTL %d ms%n", context, failover, claimedMillis, LEASE_TTL_MILLIS);
        Set<String> consumed = ledger.checkInputs(cluster, survivors, 60);
        ledger.checkRunLog(cluster, consumed, Set.of(victim.id()), victim.id());
        System.out.printf("%s: done at %d ms%n", context, millisSince(began));
        assertTrue(claimedMillis <= LEASE_TTL_MILLIS + 2000, context + ": the survivors held every session " + claimedMillis
                + " ms after the kill, past TTL + 2 s" + cluster.logs());
        for (Map.Entry<String, Long> entry : failover.entrySet()) {
            assertTrue(entry.getValue() <= LEASE_TTL_MILLIS + 2000, context + ": " + entry.getKey() + " ran again on a survivor "
                    + entry.getValue() + " ms after the kill, past TTL + 2 s" + cluster.logs());
        }
        Set<String> unmoved = new HashSet<>(moved);
        unmoved.removeAll(failover.keySet());
        assertTrue(unmoved.isEmpty(), context + ": every moved session ran again: " + unmoved);
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }
}
