package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code kill -9} of the packaged launcher under load, three times, on one SQLite data folder (DESIGN §8,
 * issue 12). Seeded clients submit inputs with idempotency keys to a few {@code process} sessions running
 * the shipped example agent, which appends one line per run to a run log (the stand-in for an effect
 * outside the runtime); the launcher is killed with SIGKILL at a random moment and restarted on the same
 * data folder. Each session's event stream tells which inputs' runs ended (a {@code run_completed} is sent
 * once the run's end is in the store). At the end, after the last launcher has drained:
 * <ul>
 *   <li>every acknowledged input (HTTP 202) is there once: its lifecycle is {@code consumed}, after one
 *       attempt plus one for each run of it a kill cut short (a run's start is stored before it runs, so a
 *       run that kills the process is not redone forever: the poison pill of PoisonPillTest; the launcher
 *       allows more attempts than there are kills, so kills alone use up no input's attempts here), its
 *       completion answers {@code completed} with its text, and a resubmit of its key is answered
 *       {@code deduplicated} naming it, in every generation of launchers;</li>
 *   <li>no input runs again once a client saw it completed, and an input runs at most once per launcher,
 *       always as attempt 1 (the agent never fails): a run redone after a crash has the same attempt key;</li>
 *   <li>every run in the log is of an input the clients know, and each key's text ran under one input only.</li>
 * </ul>
 * Randomness is only in the timing and in the seeded choices of the clients ({@code -Dmeerkat.seed=N}
 * replays the choices; the seed is printed). Loopback only; every wait is bounded.
 */
class KilledLauncherDurabilityIT {

    private static final long SEED = Long.getLong("meerkat.seed", new Random().nextLong());
    private static final int SESSIONS = 3;
    private static final int CLIENTS = 4;
    private static final int KILLS = 3;
    private static final long DRAIN_SECONDS = 60;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path work;

    private final PackagedLauncher launcher = new PackagedLauncher();
    private final ExecutorService clientThreads = Executors.newFixedThreadPool(CLIENTS);
    private final Ledger ledger = new Ledger();

    @AfterEach
    void stop() {
        clientThreads.shutdownNow();
        launcher.close();
    }

    @Test
    void acknowledgedInputsSurviveKillsRunOnceAfterTheirReceiptAndDeduplicate() throws Exception {
        System.out.println("KilledLauncherDurabilityIT seed " + SEED + " (replay the choices with -Dmeerkat.seed=" + SEED + ")");
        Random timing = new Random(SEED);
        long began = System.nanoTime();
        Path data = work.resolve("data");
        AgentRunLog runLog = new AgentRunLog(work.resolve("runs.log"));
        // A run a kill cuts short counts as an attempt: more attempts than kills, so none runs out.
        Path config = runLog.configuration(work, "0.05", "meerkat.runtime.retry.max-attempts=" + (KILLS + 1));
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(new Client(i, new Random(SEED * 31 + i)));
        }
        // The pid of each launcher (bin/meerkat execs the JVM: the agents' parent), and the size of the run
        // log just before each was killed.
        List<Long> launcherPids = new ArrayList<>();
        List<Long> logSizeAtKill = new ArrayList<>();
        List<String> sessions = null;

        for (int generation = 0; generation <= KILLS; generation++) {
            Served served = launcher.serve(Map.of(), "--config", config.toString(), "--data", data.toString(),
                    "--store", "sqlite");
            launcherPids.add(served.process().pid());
            long ready = millisSince(began);
            ApiClient api = new ApiClient(served.uri());
            if (sessions == null) {
                sessions = createSessions(api);
            }
            for (String session : sessions) {
                Answer there = api.get("/v1/sessions/" + session);
                assertEquals(200, there.status(), "seed " + SEED + ": session " + session + " is there in launcher "
                        + generation + ": " + there.body());
            }
            if (generation == KILLS) {
                finalChecks(api, clients, generation, served);
                break;
            }
            // Each session's events: a run_completed is published once the run's end is in the store.
            List<ApiClient.EventLines> streams = new ArrayList<>();
            for (String session : sessions) {
                ApiClient.EventLines stream = api.events(session);
                stream.awaitSubscribed(20);
                streams.add(stream);
            }
            AtomicBoolean killed = new AtomicBoolean();
            // The kill lands after a seeded number of the clients' requests have been answered, anywhere in
            // their work: where it falls within the launcher's own work is the only thing left to chance.
            int killAfter = 5 + timing.nextInt(60);
            AtomicInteger answered = new AtomicInteger();
            CompletableFuture<Void> killTime = new CompletableFuture<>();
            Runnable progress = () -> {
                if (answered.incrementAndGet() >= killAfter) {
                    killTime.complete(null);
                }
            };
            List<CompletableFuture<Void>> driving = new ArrayList<>();
            for (Client client : clients) {
                List<String> known = sessions;
                int current = generation;
                driving.add(CompletableFuture.runAsync(() -> client.drive(api, known, current, killed, progress),
                        clientThreads));
            }
            // Also when every client ended early (each one's failure is a violation, checked below).
            CompletableFuture.anyOf(killTime, CompletableFuture.allOf(driving.toArray(CompletableFuture[]::new)))
                    .get(60, TimeUnit.SECONDS);
            killed.set(true);
            logSizeAtKill.add(runLog.size());
            served.process().destroyForcibly();
            assertTrue(served.process().waitFor(20, TimeUnit.SECONDS), "the launcher died");
            assertEquals(128 + 9, served.process().exitValue(), "killed by SIGKILL, not stopped");
            long killedAt = millisSince(began);
            CompletableFuture.allOf(driving.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            for (ApiClient.EventLines stream : streams) {
                recordCompletedRuns(stream, generation);
            }
            System.out.printf("KilledLauncherDurabilityIT: launcher %d ready at %d ms, killed at %d ms%n", generation, ready,
                    killedAt);
        }

        System.out.printf("KilledLauncherDurabilityIT: drained at %d ms%n", millisSince(began));
        checkRunLog(runLog, launcherPids, logSizeAtKill);
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }

    /** Notes the inputs of each run_completed event a killed launcher sent, once its stream has ended. */
    private void recordCompletedRuns(ApiClient.EventLines stream, int generation) throws Exception {
        stream.reading().handle((done, cut) -> null).get(20, TimeUnit.SECONDS);
        List<String> lines = new ArrayList<>();
        stream.lines().drainTo(lines);
        for (String line : lines) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            JsonNode event = JSON.readTree(line.substring("data: ".length()));
            if (event.path("type").asString().equals("run_completed")) {
                event.path("consumedInputIds").forEach(id -> ledger.completedIn.putIfAbsent(id.asString(), generation));
            }
        }
    }

    /** Everything acknowledged is there once, done, and deduplicated; the restarted launcher drains. */
    private void finalChecks(ApiClient api, List<Client> clients, int generation, Served served)
            throws Exception {
        for (Map.Entry<String, Acked> entry : ledger.acked.entrySet()) {
            Acked acked = entry.getValue();
            Answer status = api.get("/v1/sessions/" + acked.session() + "/inputs/" + acked.inputId());
            assertEquals(200, status.status(), "seed " + SEED + ": the acknowledged input " + acked.inputId()
                    + " (key " + entry.getKey() + ") is there after the kills: " + status.body());
        }
        for (Client client : clients) {
            client.settle(api, generation);
        }
        assertTrue(ledger.violations.isEmpty(), "seed " + SEED + ": " + String.join("\n", ledger.violations));
        for (Map.Entry<String, Acked> entry : ledger.acked.entrySet()) {
            String key = entry.getKey();
            Acked acked = entry.getValue();
            Answer again = submit(api, acked.session(), key);
            assertEquals(202, again.status(), "seed " + SEED + ": resubmitting " + key + ": " + again.body());
            assertEquals("deduplicated", again.text("outcome"), "seed " + SEED + ": resubmitting " + key + ": " + again.body());
            assertEquals(acked.inputId(), again.text("existingId"), "seed " + SEED + ": the key " + key + " names one input");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
        for (Map.Entry<String, Acked> entry : ledger.acked.entrySet()) {
            Acked acked = entry.getValue();
            String input = "/v1/sessions/" + acked.session() + "/inputs/" + acked.inputId();
            Answer completion = api.get(input + "/completion?timeoutMs=5000");
            while (completion.status() == 202 && System.nanoTime() < deadline) {
                completion = api.get(input + "/completion?timeoutMs=5000");
            }
            assertEquals(200, completion.status(), "seed " + SEED + ": the completion of " + entry.getKey()
                    + " within " + DRAIN_SECONDS + " s: " + completion.body() + "; launcher log: " + Files.readString(served.stderr()));
            assertEquals("completed", completion.text("outcome"), "seed " + SEED + ": " + entry.getKey() + ": " + completion.body());
            assertTrue(AgentRunLog.resultNames(completion, entry.getKey()),
                    "seed " + SEED + ": the result of " + entry.getKey() + ": " + completion.body());
            Answer status = api.get(input);
            assertEquals(200, status.status(), "seed " + SEED + ": " + status.body());
            assertEquals("consumed", status.text("state"), "seed " + SEED + ": " + entry.getKey() + ": " + status.body());
            int attempts = status.json().path("attempts").asInt();
            assertTrue(attempts >= 1 && attempts <= 1 + KILLS,
                    "seed " + SEED + ": one attempt, plus one per kill that cut its run short: " + status.body());
        }
        System.out.println("KilledLauncherDurabilityIT seed " + SEED + ": " + ledger.acked.size() + " inputs acknowledged, "
                + ledger.resubmittedAfterKill.size() + " submits and " + ledger.waitersCutByAKill.size()
                + " completion waits cut by a kill, " + ledger.completedIn.size() + " seen completed before a kill");
    }

    /**
     * The run log against what the clients saw: every run is of a known input as attempt 1, at most one
     * run per input and launcher, none in a launcher after the one a client saw the input completed in.
     */
    private void checkRunLog(AgentRunLog runLog, List<Long> launcherPids, List<Long> logSizeAtKill) throws IOException {
        Map<String, String> keyOfInput = new HashMap<>();
        ledger.acked.forEach((key, acked) -> keyOfInput.put(acked.inputId(), key));
        Map<String, List<Integer>> generationsOfInput = new LinkedHashMap<>();
        List<AgentRunLog.Run> runs = runLog.runs(keyOfInput, "seed " + SEED);
        for (AgentRunLog.Run run : runs) {
            int generation = generationOf(run.runtimePid(), run.offset(), launcherPids, logSizeAtKill);
            for (String inputId : run.inputIds()) {
                generationsOfInput.computeIfAbsent(inputId, id -> new ArrayList<>()).add(generation);
            }
        }
        int redone = 0;
        for (Map.Entry<String, List<Integer>> entry : generationsOfInput.entrySet()) {
            List<Integer> generations = entry.getValue();
            String key = keyOfInput.get(entry.getKey());
            assertEquals(generations.stream().distinct().count(), generations.size(),
                    "seed " + SEED + ": " + key + " ran at most once per launcher, ran in launchers " + generations);
            Integer completedIn = ledger.completedIn.get(entry.getKey());
            if (completedIn != null) {
                assertTrue(generations.stream().allMatch(g -> g <= completedIn), "seed " + SEED + ": " + key
                        + " was seen completed by launcher " + completedIn + " and ran again, in launchers " + generations);
            }
            redone += generations.size() - 1;
        }
        for (String inputId : keyOfInput.keySet()) {
            assertTrue(generationsOfInput.containsKey(inputId), "seed " + SEED + ": " + keyOfInput.get(inputId) + " ran");
        }
        System.out.println("KilledLauncherDurabilityIT seed " + SEED + ": " + runs.size() + " runs logged, " + redone
                + " runs redone after a kill (same attempt key)");
    }

    /**
     * The launcher that ran a logged run: the agent's parent. An agent whose launcher was killed before
     * the agent's shell started has another parent; its line was written after that kill, so after the
     * log's size taken just before it: it is the run of the last launcher whose mark the line follows (a
     * shell that started more than a whole launcher's life after its launcher died would be misplaced).
     */
    private static int generationOf(long parentPid, long offset, List<Long> launcherPids, List<Long> logSizeAtKill) {
        int generation = launcherPids.indexOf(parentPid);
        if (generation >= 0) {
            return generation;
        }
        for (int killed = logSizeAtKill.size() - 1; killed >= 0; killed--) {
            if (offset >= logSizeAtKill.get(killed)) {
                return killed;
            }
        }
        throw new AssertionError("a run logged by an agent of no launcher (parent " + parentPid + ") before any kill");
    }

    private List<String> createSessions(ApiClient api) {
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            Answer created = api.post("/v1/sessions", AgentRunLog.session());
            assertEquals(201, created.status(), created.body());
            sessions.add(created.text("id"));
        }
        return sessions;
    }

    private static Answer submit(ApiClient api, String session, String key) {
        return api.post("/v1/sessions/" + session + "/inputs", AgentRunLog.input(key));
    }

    /** An acknowledged input: its key's session and the input the launcher named. */
    private record Acked(String session, String inputId) {
    }

    /** What the clients were told, shared by them. */
    private static final class Ledger {
        final Map<String, Acked> acked = new ConcurrentHashMap<>();
        /** Input id → the launcher in which a client first saw it completed (a completion, a run_completed event). */
        final Map<String, Integer> completedIn = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> resubmittedAfterKill = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> waitersCutByAKill = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    }


    /**
     * One client: submits new keys, polls the completions of its inputs and resubmits their keys, in an
     * order drawn from its own seeded random; its keys are {@code c<client>-<n>}. A request the kill cut
     * ends its work in that launcher; a submit whose answer was lost is resubmitted in the next one.
     */
    private final class Client {
        private final int index;
        private final Random random;
        private final List<String> mine = new ArrayList<>();
        /** Key → session of the submits whose answer a kill cut. */
        private final Map<String, String> unsettled = new LinkedHashMap<>();
        private int next;

        Client(int index, Random random) {
            this.index = index;
            this.random = random;
        }

        /** Sends requests until the launcher is killed, calling {@code progress} after each answered one. */
        void drive(ApiClient api, List<String> sessions, int generation, AtomicBoolean killed, Runnable progress) {
            try {
                settle(api, generation);
                while (!killed.get()) {
                    int choice = random.nextInt(10);
                    if (choice < 6 || mine.isEmpty()) {
                        String key = "c" + index + "-" + next++;
                        String session = sessions.get(random.nextInt(sessions.size()));
                        unsettled.put(key, session);
                        acknowledge(submit(api, session, key), session, key, generation, false);
                    } else if (choice < 8) {
                        poll(api, mine.get(random.nextInt(mine.size())), generation);
                    } else {
                        String key = mine.get(random.nextInt(mine.size()));
                        Acked acked = ledger.acked.get(key);
                        Answer again = submit(api, acked.session(), key);
                        if (again.status() != 202 || !"deduplicated".equals(again.text("outcome"))
                                || !acked.inputId().equals(again.text("existingId"))) {
                            ledger.violations.add("launcher " + generation + ": resubmitting " + key + " (input "
                                    + acked.inputId() + ") answered " + again.status() + " " + again.body());
                        }
                    }
                    progress.run();
                }
            } catch (UncheckedIOException cut) {
                if (!killed.get()) {
                    ledger.violations.add("launcher " + generation + ": client " + index + " lost the launcher before the kill: " + cut);
                }
            }
        }

        /** Resubmits the keys whose submit a kill cut: answered accepted if it was lost, else deduplicated. */
        void settle(ApiClient api, int generation) {
            for (Map.Entry<String, String> entry : List.copyOf(unsettled.entrySet())) {
                ledger.resubmittedAfterKill.add(entry.getKey());
                acknowledge(submit(api, entry.getValue(), entry.getKey()), entry.getValue(), entry.getKey(), generation, true);
            }
        }

        private void acknowledge(Answer answer, String session, String key, int generation, boolean resubmit) {
            unsettled.remove(key);
            String outcome = answer.text("outcome");
            if (answer.status() != 202 || !(outcome.equals("accepted") || resubmit && outcome.equals("deduplicated"))) {
                ledger.violations.add("launcher " + generation + ": submitting " + key + " answered " + answer.status()
                        + " " + answer.body());
                return;
            }
            String inputId = outcome.equals("accepted") ? answer.text("inputId") : answer.text("existingId");
            ledger.acked.put(key, new Acked(session, inputId));
            mine.add(key);
        }

        private void poll(ApiClient api, String key, int generation) {
            Acked acked = ledger.acked.get(key);
            Answer completion;
            try {
                completion = api.get("/v1/sessions/" + acked.session() + "/inputs/" + acked.inputId()
                        + "/completion?timeoutMs=1000");
            } catch (UncheckedIOException cut) {
                ledger.waitersCutByAKill.add(key);
                throw cut;
            }
            if (completion.status() == 200 && "completed".equals(completion.text("outcome")) && AgentRunLog.resultNames(completion, key)) {
                ledger.completedIn.putIfAbsent(acked.inputId(), generation);
            } else if (completion.status() != 202) {
                ledger.violations.add("launcher " + generation + ": the completion of " + key + " answered "
                        + completion.status() + " " + completion.body());
            }
        }
    }
}
