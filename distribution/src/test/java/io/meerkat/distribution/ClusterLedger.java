package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.LauncherCluster.Node;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import tools.jackson.databind.JsonNode;

/**
 * What the clients of a cluster were told, and the checks of it at the end, shared by the cluster ITs.
 * Every input's text is its idempotency key ({@link AgentRunLog#input}); an input is acknowledged once a
 * submit of its key was answered 202 ({@code accepted}, or {@code deduplicated} for a submit sent again
 * after a lost answer). The final checks ({@link #checkInputs}, {@link #checkRunLog}): every acknowledged
 * input consumed exactly once in state (or abandoned, only where the test cancelled or stopped) and
 * answered the same by every live node; in the run log, no input run again after a client saw it
 * completed, and none run more often than its lifecycle counts attempts (a run again is of a run cut short).
 */
final class ClusterLedger {

    /** An acknowledged input: its key's session and the input the cluster named. */
    record Acked(String session, String inputId) {
    }

    private final String context;
    private final AgentRunLog runLog;
    final Map<String, Acked> acked = new ConcurrentHashMap<>();
    /** Input id → the run log's size just after a client first saw the input completed: it ran before that. */
    final Map<String, Long> completedBefore = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    /** Sessions whose inputs may be abandoned: a client cancelled their runs, or stopped them. */
    final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    final Set<String> stopped = ConcurrentHashMap.newKeySet();
    /** Input id → how many runs it took part in, as its lifecycle says at the end ({@link #checkInputs}). */
    final Map<String, Integer> attempts = new ConcurrentHashMap<>();
    final ClusterClient.Retries retries = new ClusterClient.Retries();

    /** {@code context} starts every failure's message (the test and its seed). */
    ClusterLedger(String context, AgentRunLog runLog) {
        this.context = context;
        this.runLog = runLog;
    }

    /** Submits the key (its text) to the session through {@code client}; true if acknowledged. */
    boolean submit(ClusterClient client, String session, String key) {
        return acknowledge(client.post("/v1/sessions/" + session + "/inputs", AgentRunLog.input(key)), session, key);
    }

    /** Notes the answer to a submit of the key to the session; true if acknowledged. */
    boolean acknowledge(Answer answer, String session, String key) {
        String outcome = answer.text("outcome");
        if (answer.status() == 202 && (outcome.equals("accepted") || outcome.equals("deduplicated"))) {
            // deduplicated: an earlier try was stored but its answer lost, so the key names that input.
            Acked previous = acked.putIfAbsent(key, new Acked(session,
                    outcome.equals("accepted") ? answer.text("inputId") : answer.text("existingId")));
            if (previous != null) {
                violations.add("the key " + key + " was submitted twice as new: " + answer.body());
            }
            return true;
        }
        if (answer.status() == 409 && stopped.contains(session)) {
            return false;   // the session was stopped: it takes no more input
        }
        violations.add("submitting " + key + " to " + session + " answered " + answer.status() + " " + answer.body());
        return false;
    }

    /** Submits the key again: answered deduplicated, naming the input acknowledged for it. */
    void resubmit(ClusterClient client, String key) {
        Acked known = acked.get(key);
        Answer again = client.post("/v1/sessions/" + known.session() + "/inputs", AgentRunLog.input(key));
        if (again.status() == 409 && stopped.contains(known.session())) {
            return;
        }
        if (again.status() != 202 || !"deduplicated".equals(again.text("outcome")) || !known.inputId().equals(again.text("existingId"))) {
            violations.add("resubmitting " + key + " (input " + known.inputId() + ") answered " + again.status() + " " + again.body());
        }
    }

    /** Long-polls the key's completion for up to {@code waitMillis}; notes when it is seen completed. */
    void poll(ClusterClient client, String key, long waitMillis) {
        Acked known = acked.get(key);
        Answer completion = client.longPoll(completionPath(known) + "?timeoutMs=" + waitMillis, waitMillis);
        if (completion.status() == 200 && "completed".equals(completion.text("outcome"))) {
            noteCompleted(known, key, completion);
        } else if (completion.status() == 200 && abandoned(known.session(), completion.text("outcome"))) {
            return;
        } else if (completion.status() != 202) {
            violations.add("the completion of " + key + " answered " + completion.status() + " " + completion.body());
        }
    }

    /** Cancels the session's current run (it may then lose inputs to cancels). */
    void cancel(ClusterClient client, String session) {
        cancelled.add(session);
        Answer answer = client.post("/v1/sessions/" + session + "/control", "{\"command\":\"cancel_current_run\",\"reason\":\"test\"}");
        if (answer.status() != 202 && !(answer.status() == 409 && stopped.contains(session))) {
            violations.add("cancelling the run of " + session + " answered " + answer.status() + " " + answer.body());
        }
    }

    /** Stops the session: its unfinished inputs are abandoned, it takes no more. */
    void stop(ClusterClient client, String session) {
        stopped.add(session);
        Answer answer = client.post("/v1/sessions/" + session + "/runtime", "{\"command\":\"stop\"}");
        if (answer.status() != 200) {
            violations.add("stopping " + session + " answered " + answer.status() + " " + answer.body());
        }
    }

    /**
     * Whether the outcome is one of an input given up, allowed in this session: {@code abandoned} after a
     * cancel or a stop, {@code runtime_terminated} (a waiter the stop ended) after a stop.
     */
    private boolean abandoned(String session, String outcome) {
        return outcome.equals("abandoned") && (cancelled.contains(session) || stopped.contains(session))
                || outcome.equals("runtime_terminated") && stopped.contains(session);
    }

    private void noteCompleted(Acked known, String key, Answer completion) {
        if (!AgentRunLog.resultNames(completion, key)) {
            violations.add("the result of " + key + " does not name it: " + completion.body());
        }
        // Taken after the answer: the run that completed it logged its line before that.
        completedBefore.putIfAbsent(known.inputId(), runLog.size());
    }

    private static String completionPath(Acked known) {
        return "/v1/sessions/" + known.session() + "/inputs/" + known.inputId() + "/completion";
    }

    /** Fails with every violation the clients met. */
    void assertNoViolations(LauncherCluster cluster) {
        assertTrue(violations.isEmpty(), context + ": " + violations.size() + " violation(s):\n" + String.join("\n", violations)
                + cluster.logs());
    }

    /**
     * Every acknowledged input has finished, and every live node says the same of it: its completion
     * (waited for up to {@code patienceSeconds} in all) is {@code completed} naming its key, and its
     * lifecycle {@code consumed} with one consumption in its history, or (only in a session cancelled or
     * stopped) {@code abandoned} for that reason. Returns the inputs consumed.
     */
    Set<String> checkInputs(LauncherCluster cluster, List<Node> live, long patienceSeconds) {
        ClusterClient any = new ClusterClient(live, new Random(0), retries);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(patienceSeconds);
        Set<String> consumed = ConcurrentHashMap.newKeySet();
        Map<String, Integer> givenUp = new java.util.TreeMap<>();
        for (Map.Entry<String, Acked> entry : acked.entrySet()) {
            String key = entry.getKey();
            Acked known = entry.getValue();
            Answer completion = any.longPoll(completionPath(known) + "?timeoutMs=2000", 2000);
            while (completion.status() == 202 && System.nanoTime() < deadline) {
                completion = any.longPoll(completionPath(known) + "?timeoutMs=2000", 2000);
            }
            assertEquals(200, completion.status(), context + ": the completion of " + key + " within " + patienceSeconds
                    + " s: " + completion.body() + cluster.logs());
            String outcome = completion.text("outcome");
            Answer status = any.get("/v1/sessions/" + known.session() + "/inputs/" + known.inputId());
            assertEquals(200, status.status(), context + ": " + key + ": " + status.body());
            attempts.put(known.inputId(), status.json().path("attempts").asInt());
            if (outcome.equals("completed")) {
                noteCompleted(known, key, completion);
                assertEquals("consumed", status.text("state"), context + ": " + key + " completed: " + status.body());
                int consumptions = 0;
                for (JsonNode transition : status.json().path("history")) {
                    consumptions += transition.path("to").asString().equals("consumed") ? 1 : 0;
                }
                assertEquals(1, consumptions, context + ": " + key + " was consumed once: " + status.body());
                consumed.add(known.inputId());
            } else {
                assertTrue(abandoned(known.session(), outcome), context + ": " + key + " was given up in a session not "
                        + "cancelled or stopped: " + completion.body());
                String reason = status.text("abandonReason");
                assertTrue(reason.equals("cancelled") && cancelled.contains(known.session())
                                || reason.equals("stopped") && stopped.contains(known.session()),
                        context + ": " + key + " was abandoned in a session not cancelled or stopped (" + reason + "): " + status.body());
                givenUp.merge(reason, 1, Integer::sum);
            }
            for (Node node : live) {
                Answer there = node.api().get(completionPath(known));
                assertEquals(200, there.status(), context + ": the completion of " + key + " asked of " + node.id() + ": " + there.body());
                assertEquals(completion.json(), there.json(), context + ": " + node.id() + " answers the completion of " + key + " alike");
            }
        }
        System.out.println(context + ": " + consumed.size() + " inputs consumed, abandoned " + givenUp + ", each answered alike by "
                + live.stream().map(Node::id).toList());
        return consumed;
    }

    /** What the run log says of one input: the node that ran each of its runs, in order, and where its lines start. */
    record Runs(List<String> nodes, List<Long> offsets) {
    }

    /**
     * The run log against what the clients saw and the inputs' lifecycles ({@link #checkInputs} first): every
     * run is of an acknowledged input; no input runs again after a client saw it completed; an input runs
     * no more often than its lifecycle counts attempts, so each run again is of a run cut short and recovered
     * as such (by a fault, or a lease that lapsed under load: both are counted); every consumed input ran.
     * A run whose agent outlived its node (its parent is no node: its node was killed before the agent
     * logged) counts as {@code orphansOf}'s. Returns each input's runs.
     */
    Map<String, Runs> checkRunLog(LauncherCluster cluster, Set<String> consumed, Set<String> faulted, String orphansOf)
            throws IOException {
        Map<String, String> keyOfInput = new HashMap<>();
        acked.forEach((key, known) -> keyOfInput.put(known.inputId(), key));
        Map<String, Runs> runsOfInput = new LinkedHashMap<>();
        List<AgentRunLog.Run> runs = runLog.runs(keyOfInput, context);
        for (AgentRunLog.Run run : runs) {
            Node node = cluster.byPid(run.runtimePid());
            String nodeId = node != null ? node.id() : orphansOf;
            assertTrue(nodeId != null, context + ": a run of no node (parent " + run.runtimePid() + "): " + run.line());
            for (String inputId : run.inputIds()) {
                Runs of = runsOfInput.computeIfAbsent(inputId, id -> new Runs(new ArrayList<>(), new ArrayList<>()));
                of.nodes().add(nodeId);
                of.offsets().add(run.offset());
            }
        }
        int redone = 0;
        for (Map.Entry<String, Runs> entry : runsOfInput.entrySet()) {
            String key = keyOfInput.get(entry.getKey());
            List<String> nodes = entry.getValue().nodes();
            int counted = attempts.getOrDefault(entry.getKey(), 0);
            assertTrue(nodes.size() <= counted, context + ": " + key + " ran " + nodes.size() + " times (on " + nodes
                    + "), its lifecycle counts " + counted + " attempt(s): a run again that no recovery counted" + cluster.logs());
            for (int i = 0; i < nodes.size() - 1; i++) {
                if (!faulted.contains(nodes.get(i))) {
                    // Allowed (counted above), and worth knowing: a node lost a lease while alive.
                    System.out.println(context + ": " + key + " ran again after a run on " + nodes.get(i)
                            + ", which no fault hit (a lease lapsed under load): ran on " + nodes);
                }
            }
            Long completedBy = completedBefore.get(entry.getKey());
            if (completedBy != null) {
                for (long offset : entry.getValue().offsets()) {
                    assertTrue(offset < completedBy, context + ": " + key + " was seen completed (log size " + completedBy
                            + ") and ran again (a run logged at " + offset + "), on " + nodes + cluster.logs());
                }
            }
            redone += nodes.size() - 1;
        }
        for (String inputId : consumed) {
            assertTrue(runsOfInput.containsKey(inputId), context + ": " + keyOfInput.get(inputId) + " was consumed, so it ran");
        }
        System.out.println(context + ": " + acked.size() + " inputs acknowledged, " + runs.size() + " runs logged, " + redone
                + " runs redone after a run cut short; requests sent again: " + retries.count() + " " + retries);
        return runsOfInput;
    }

    /** The key of a client's n-th input, sent to the session of that index: {@link #sessionOf} reads it back. */
    static String key(String client, int n, int sessionIndex) {
        return client + "-" + n + "-s" + sessionIndex;
    }

    /** The index of the session a key was sent to. */
    static int sessionOf(String key) {
        return Integer.parseInt(key.substring(key.lastIndexOf("-s") + 2));
    }

    /** Counts the clients' answered requests; a test waits for a count to pass. */
    static final class Progress {
        private int answered;

        synchronized void answered() {
            answered++;
            notifyAll();
        }

        synchronized int count() {
            return answered;
        }

        /** Waits until {@code count} requests were answered, at most {@code patienceMillis}; false if not. */
        synchronized boolean await(int count, long patienceMillis) throws InterruptedException {
            long deadline = System.nanoTime() + patienceMillis * 1_000_000;
            while (answered < count) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
            return true;
        }
    }

    /**
     * One client: submits new keys ({@link #key}, {@code c<client>}) to random sessions, long-polls and resubmits
     * its own, and cancels runs of {@code cancelSession} (if not null), in an order drawn from its seeded
     * random, through a {@link ClusterClient}, until told to stop or out of keys.
     */
    final class Client implements Runnable {
        private final int index;
        private final Random random;
        private final ClusterClient client;
        private final List<String> sessions;
        private final String cancelSession;
        private final int maxKeys;
        private final AtomicBoolean stop;
        private final Progress progress;
        private final List<String> mine = new ArrayList<>();
        private int next;

        Client(int index, long seed, List<Node> routable, List<String> sessions, String cancelSession, int maxKeys,
               AtomicBoolean stop, Progress progress) {
            this.index = index;
            this.random = new Random(seed);
            this.client = new ClusterClient(routable, new Random(seed * 7 + 1), retries);
            this.sessions = sessions;
            this.cancelSession = cancelSession;
            this.maxKeys = maxKeys;
            this.stop = stop;
            this.progress = progress;
        }

        @Override
        public void run() {
            try {
                while (!stop.get()) {
                    int choice = random.nextInt(20);
                    if ((choice < 11 || mine.isEmpty()) && next < maxKeys) {
                        int session = random.nextInt(sessions.size());
                        String key = key("c" + index, next++, session);
                        if (submit(client, sessions.get(session), key)) {
                            mine.add(key);
                        }
                    } else if (choice < 16 && !mine.isEmpty()) {
                        poll(client, mine.get(random.nextInt(mine.size())), 1000);
                    } else if (choice < 19 && !mine.isEmpty()) {
                        resubmit(client, mine.get(random.nextInt(mine.size())));
                    } else if (cancelSession != null) {
                        cancel(client, cancelSession);
                    }
                    progress.answered();
                    // Paces the load (a think time), so that queues stay short enough to drain at the end.
                    Thread.sleep(random.nextInt(20));
                }
            } catch (AssertionError | RuntimeException failed) {
                violations.add("client " + index + " failed: " + failed);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
