package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.LauncherCluster.Node;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;

/** Steps the cluster ITs share: sessions, their warm-up, who runs which, when a moved session ran again. */
final class ClusterScenes {

    private static final long POLL_MILLIS = 20;

    private ClusterScenes() {
    }

    /** Creates {@code count} {@code process} sessions of the run-log profile, the i-th through node i mod n. */
    static List<String> createSessions(List<Node> nodes, int count) {
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Node node = nodes.get(i % nodes.size());
            Answer created = node.api().post("/v1/sessions", AgentRunLog.session());
            assertEquals(201, created.status(), "creating a session through " + node.id() + ": " + created.body());
            sessions.add(created.text("id"));
        }
        return sessions;
    }

    /** One input in each session, each waited for: every session has run once before the load. */
    static void warmUp(ClusterLedger ledger, ClusterClient client, List<String> sessions) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) {
            String key = ClusterLedger.key("warm", 0, i);
            assertTrue(ledger.submit(client, sessions.get(i), key), "the warm-up input of session " + i + ": " + ledger.violations);
            keys.add(key);
        }
        for (String key : keys) {
            ledger.poll(client, key, 20_000);
            assertTrue(ledger.completedBefore.containsKey(ledger.acked.get(key).inputId()),
                    "the warm-up input " + key + " completed within 20 s: " + ledger.violations);
        }
    }

    /** Waits until the clients have had {@code count} answers (at most 60 s), failing with what they met. */
    static void awaitAnswered(ClusterLedger.Progress progress, int count, ClusterLedger ledger, LauncherCluster cluster)
            throws InterruptedException {
        assertTrue(progress.await(count, 60_000), "the clients had " + count + " requests answered within 60 s (had "
                + progress.count() + "): " + ledger.violations + cluster.logs());
    }

    /** Session → the node that logged the latest run in it: where its lease is, unless it moved since. */
    static Map<String, String> ownersByRunLog(List<String> sessions, AgentRunLog runLog, LauncherCluster cluster)
            throws IOException {
        Map<String, String> owners = new LinkedHashMap<>();
        for (AgentRunLog.Run run : runLog.runs()) {
            Node node = cluster.byPid(run.runtimePid());
            if (node != null) {
                owners.put(sessions.get(ClusterLedger.sessionOf(run.texts().get(0))), node.id());
            }
        }
        return owners;
    }

    /** The node that holds the most sessions in {@code owners}, drawn among equals by {@code choices}. */
    static String holdingMost(Map<String, String> owners, List<Node> nodes, Random choices) {
        Map<String, Integer> held = new LinkedHashMap<>();
        nodes.forEach(node -> held.put(node.id(), 0));
        owners.values().forEach(owner -> held.merge(owner, 1, Integer::sum));
        int most = held.values().stream().max(Integer::compare).orElseThrow();
        List<String> candidates = held.entrySet().stream().filter(e -> e.getValue() == most).map(Map.Entry::getKey).toList();
        return candidates.get(choices.nextInt(candidates.size()));
    }

    /**
     * Waits (at most {@code patience}) until each of {@code moved} has a run logged at or past
     * {@code fromOffset} by a node other than {@code from}; returns for each how long after {@code since}
     * ({@link System#nanoTime()}) its first such run was seen, in milliseconds.
     */
    static Map<String, Long> awaitFirstRuns(AgentRunLog runLog, AgentRunLog.Watch watch, LauncherCluster cluster,
                                            List<String> sessions, List<String> moved, Node from, long fromOffset, long since,
                                            Duration patience) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        Map<String, Long> first = new HashMap<>();
        while (true) {
            for (AgentRunLog.Run run : runLog.runs()) {
                Node node = cluster.byPid(run.runtimePid());
                if (run.offset() < fromOffset || node == null || node == from) {
                    continue;
                }
                String session = sessions.get(ClusterLedger.sessionOf(run.texts().get(0)));
                OptionalLong seen = watch.seenAt(run.offset());
                if (moved.contains(session) && !first.containsKey(session) && seen.isPresent()) {
                    first.put(session, (seen.getAsLong() - since) / 1_000_000);
                }
            }
            if (first.size() == moved.size() || System.nanoTime() > deadline) {
                Map<String, Long> ordered = new LinkedHashMap<>();
                moved.stream().filter(first::containsKey).forEach(session -> ordered.put(session, first.get(session)));
                return ordered;
            }
            Thread.sleep(POLL_MILLIS);   // polling period of a file other processes append to
        }
    }
}
