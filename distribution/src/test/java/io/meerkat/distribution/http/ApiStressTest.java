package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many clients doing random things to shared sessions at once, over HTTP, against an in-process launcher
 * (echo executor with small random delays, both registry bundles). Each run is driven by a seed: every
 * worker draws its operations from {@code new Random(seed + worker)}, and every assertion message starts
 * with the seed (the thread interleaving is not repeatable, the operations drawn are).
 *
 * <p>Checked throughout: every answer has a documented status and a well-formed JSON body (an error is
 * {@code {"error":{"code","message"}}} with a code documented for its status); an operation's status is
 * one its situation allows (a 404 only for a session some worker began to destroy, a refused input only
 * for a session some worker began to stop, retire or destroy); the server answers {@code /v1/health}.
 * Checked at the end: every accepted input's completion, long-polled from the moment it was accepted,
 * resolved to one of the five outcomes once its session was stopped or destroyed, and agrees with the
 * input's lifecycle (a result only for a consumed input, a termination only for one not consumed); a deduplicated submit's
 * {@code existingId} is the id of the one input accepted with that key; once every session is destroyed
 * the completion registry holds no waiter.
 */
class ApiStressTest {

    private static final int WORKERS = 6;
    private static final int OPERATIONS = 150;
    private static final int MAX_OPEN_SESSIONS = 6;
    private static final Set<String> OUTCOMES =
            Set.of("completed", "completed_without_result", "callback_pending", "abandoned", "runtime_terminated");
    /** The documented error codes by status (distribution/README.md). */
    private static final Map<Integer, Set<String>> ERROR_CODES = Map.of(
            400, Set.of("malformed_json", "unknown_field", "missing_field", "invalid_field", "invalid_config",
                    "invalid_command", "invalid_parameter", "input_rejected", "unknown_executor"),
            401, Set.of("unauthorized"),
            404, Set.of("session_not_found", "input_not_found", "not_found"),
            405, Set.of("method_not_allowed"),
            409, Set.of("not_ready", "illegal_transition", "duplicate_session"),
            413, Set.of("payload_too_large"),
            503, Set.of("runtime_closed"));

    /** The run a worker thread works for, to tally its answers. */
    private static final ThreadLocal<Run> CURRENT = new ThreadLocal<>();

    @TempDir
    static Path root;

    static Launcher launcher;
    static ApiClient api;

    @BeforeAll
    static void start() {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE, TestDistribution.HISTORY_BUNDLE);
        launcher = Launcher.start(distribution.config(), true, step -> { });
        api = new ApiClient(launcher.http().baseUri());
    }

    @AfterAll
    static void stop() {
        if (launcher != null) {
            launcher.close();
        }
    }

    /** What the workers know about one session; flags are set before the request that may cause them. */
    private static final class Session {
        final String id;
        final String path;
        volatile boolean destroying;
        /** A stop, retire or destroy was sent: input may be refused from now on. */
        volatile boolean closing;
        final List<String> accepted = new CopyOnWriteArrayList<>();
        /** Per idempotency key: the ids answered "accepted" and the existingIds answered "deduplicated". */
        final Map<String, List<String>> acceptedByKey = new ConcurrentHashMap<>();
        final Map<String, List<String>> existingByKey = new ConcurrentHashMap<>();

        Session(String id) {
            this.id = id;
            this.path = "/v1/sessions/" + id;
        }
    }

    /** One accepted input and the long-poll started for it as soon as it was accepted. */
    private record Watched(Session session, String inputId, CompletableFuture<Answer> completion) {
    }

    /** One run: the sessions, the watched inputs and the seed every message names. */
    private static final class Run {
        final long seed;
        final List<Session> sessions = new CopyOnWriteArrayList<>();
        final Queue<Watched> watched = new ConcurrentLinkedQueue<>();
        /** How often each operation got each answer, printed so a run shows what it exercised. */
        final Map<String, LongAdder> tally = new ConcurrentSkipListMap<>();

        void count(String what) {
            tally.computeIfAbsent(what, k -> new LongAdder()).increment();
        }

        Run(long seed) {
            this.seed = seed;
        }

        List<Session> live() {
            return sessions.stream().filter(s -> !s.destroying).toList();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {20240611L, 7L, -4242L, 8L, 31L})
    void randomClientsKeepEveryInvariant(long seed) throws Exception {
        Run run = new Run(seed);
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                done.add(workers.submit(() -> {
                    work(run, worker);
                    return null;
                }));
            }
            for (Future<?> future : done) {
                try {
                    future.get(60, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof AssertionError assertion) {
                        throw assertion;
                    }
                    throw new AssertionError("seed " + seed + ": a worker failed", e.getCause());
                }
            }
        } finally {
            workers.shutdownNow();
        }
        CURRENT.set(run);
        settle(run);
        System.out.println("ApiStressTest seed " + seed + ": " + run.tally);
    }

    /** One worker's random operations. */
    private void work(Run run, int worker) {
        CURRENT.set(run);
        Random random = new Random(run.seed + worker);
        for (int op = 0; op < OPERATIONS; op++) {
            String where = "seed " + run.seed + ", worker " + worker + ", operation " + op;
            List<Session> open = run.sessions.stream().filter(s -> !s.closing).toList();
            if (open.isEmpty() || (open.size() < MAX_OPEN_SESSIONS && random.nextInt(8) == 0)) {
                create(run, random, where);
                continue;
            }
            // Mostly sessions that take input; now and then one that may be stopped or gone, for the 409
            // and 404 paths.
            int pick = random.nextInt(20);
            List<Session> from = pick == 0 ? run.sessions : pick < 4 ? run.live() : open;
            Session session = from.isEmpty() ? open.get(0) : from.get(random.nextInt(from.size()));
            int dice = random.nextInt(100);
            if (dice < 40) {
                submit(run, session, random, where);
            } else if (dice < 58) {
                longPoll(run, session, random, where);
            } else if (dice < 64) {
                Answer shown = checked(api.get(session.path), where + " GET session");
                expect(shown, where + " GET session", session, Set.of(200), Set.of());
            } else if (dice < 70) {
                Answer cancel = checked(api.post(session.path + "/control",
                        "{\"command\":\"cancel_current_run\",\"reason\":\"stress\"}"), where + " cancel");
                expect(cancel, where + " cancel", session, Set.of(202), Set.of("not_ready"));
            } else if (dice < 74) {
                session.closing = true;
                Answer stopped = checked(api.post(session.path + "/runtime", "{\"command\":\"stop\"}"), where + " stop");
                expect(stopped, where + " stop", session, Set.of(200), Set.of());
            } else if (dice < 79) {
                Answer resumed = checked(api.post(session.path + "/runtime", "{\"command\":\"resume\"}"), where + " resume");
                // A resume is refused only once the session was stopped or destroyed, which a worker marks first.
                expect(resumed, where + " resume", session, Set.of(200),
                        session.closing ? Set.of("illegal_transition") : Set.of());
            } else if (dice < 82) {
                session.closing = true;
                lifecycle(session, "retire", where);
            } else if (dice < 87) {
                lifecycle(session, "reset", where);
            } else if (dice < 92) {
                lifecycle(session, "recycle", where);
            } else if (dice < 95) {
                session.closing = true;
                session.destroying = true;
                Answer destroyed = checked(api.delete(session.path), where + " destroy");
                expect(destroyed, where + " destroy", session, Set.of(200), Set.of());
            } else {
                Answer health = checked(api.get("/v1/health"), where + " health");
                assertEquals(200, health.status(), where + ": health " + health.body());
                assertEquals("ok", health.text("status"), where + ": health " + health.body());
            }
        }
    }

    private void create(Run run, Random random, String where) {
        Answer created = checked(api.post("/v1/sessions",
                "{\"executor\":\"echo\",\"config\":{\"delayMs\":\"" + random.nextInt(30) + "\"}}"), where + " create");
        assertEquals(201, created.status(), where + ": create " + created.body());
        run.sessions.add(new Session(created.text("id")));
    }

    private void submit(Run run, Session session, Random random, String where) {
        // Few keys per session, so that concurrent submits with the same key collide.
        String key = random.nextInt(3) == 0 ? "k" + random.nextInt(3) : null;
        String text = "t" + random.nextInt(1_000_000);
        String body = key == null ? "{\"text\":\"" + text + "\"}"
                : "{\"text\":\"" + text + "\",\"idempotencyKey\":\"" + key + "\"}";
        Answer submitted = checked(api.post(session.path + "/inputs", body), where + " submit");
        expect(submitted, where + " submit", session, Set.of(202), Set.of("not_ready"));
        if (submitted.status() != 202) {
            return;
        }
        String outcome = submitted.text("outcome");
        String inputId = submitted.text("inputId");
        if (outcome.equals("accepted")) {
            if (key != null) {
                session.acceptedByKey.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(inputId);
            }
            session.accepted.add(inputId);
            run.watched.add(new Watched(session, inputId,
                    api.getAsync(session.path + "/inputs/" + inputId + "/completion?timeoutMs=60000")));
        } else if (outcome.equals("deduplicated") && key != null) {
            session.existingByKey.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(submitted.text("existingId"));
            assertEquals(inputId, submitted.text("existingId"), where + ": a duplicate answers with the existing id: "
                    + submitted.body());
        } else {
            fail(where + ": submit answered " + submitted.body());
        }
    }

    private void longPoll(Run run, Session session, Random random, String where) {
        if (session.accepted.isEmpty()) {
            return;
        }
        String inputId = session.accepted.get(random.nextInt(session.accepted.size()));
        int timeoutMs = random.nextInt(4) == 0 ? 0 : random.nextInt(150);
        Answer completion = checked(api.get(session.path + "/inputs/" + inputId + "/completion?timeoutMs=" + timeoutMs),
                where + " long-poll");
        expect(completion, where + " long-poll", session, Set.of(200, 202), Set.of());
        if (completion.status() == 200) {
            assertOutcome(completion, where + " long-poll");
        } else if (completion.status() == 202) {
            assertEquals("pending", completion.text("outcome"), where + ": long-poll " + completion.body());
        }
    }

    private void lifecycle(Session session, String operation, String where) {
        Answer answer = checked(api.post(session.path + "/" + operation, ""), where + " " + operation);
        expect(answer, where + " " + operation, session, Set.of(200), Set.of("illegal_transition"));
    }

    /**
     * Stops every session left, then checks every watched completion resolved, the keys, and that
     * destroying every session leaves no waiter in the registry.
     */
    private void settle(Run run) throws Exception {
        String where = "seed " + run.seed + ", settling";
        for (Session session : run.sessions) {
            if (!session.destroying) {
                session.closing = true;
                Answer stopped = checked(api.post(session.path + "/runtime", "{\"command\":\"stop\"}"), where + " stop");
                assertEquals(200, stopped.status(), where + ": stop " + stopped.body());
            }
        }
        // Every session is stopped or destroyed: no completion may stay pending. The long-polls wait 60 s,
        // far longer than this test, so one still open after 15 s is an input its session never resolved.
        List<Watched> watched = new ArrayList<>(run.watched);
        try {
            CompletableFuture.allOf(watched.stream().map(Watched::completion).toArray(CompletableFuture[]::new))
                    .get(15, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            List<String> open = watched.stream().filter(w -> !w.completion().isDone())
                    .map(w -> w.session().id + "/" + w.inputId()).toList();
            fail(where + ": " + open.size() + " of " + watched.size() + " completions still pending after their "
                    + "sessions stopped or were destroyed: " + open);
        }
        int verified = 0;
        for (Watched w : watched) {
            String what = where + ", input " + w.session().id + "/" + w.inputId();
            Answer completion = checked(w.completion().join(), what);
            run.count("watched " + completion.status() + " " + (completion.status() == 200 ? completion.text("outcome")
                    : completion.errorCode()));
            if (completion.status() == 404) {
                // The long-poll reached the server after another worker destroyed the session.
                assertEquals("session_not_found", completion.errorCode(), what + ": " + completion.body());
                assertEquals(true, w.session().destroying, what + ": 404 for a session nobody destroyed");
                continue;
            }
            assertEquals(200, completion.status(), what + ": " + completion.body());
            assertOutcome(completion, what);
            verified++;
            if (!w.session().destroying) {
                agreesWithTheLedger(completion, w, what);
            }
        }
        assertEquals(true, watched.isEmpty() || verified > 0, where + ": no completion could be verified");
        for (Session session : run.sessions) {
            for (var entry : session.existingByKey.entrySet()) {
                List<String> first = session.acceptedByKey.getOrDefault(entry.getKey(), List.of());
                assertEquals(1, first.size(), where + ": session " + session.id + " key " + entry.getKey()
                        + " was accepted as " + first + " yet deduplicated against " + entry.getValue());
                for (String existing : entry.getValue()) {
                    assertEquals(first.get(0), existing, where + ": session " + session.id + " key " + entry.getKey());
                }
            }
            for (var entry : session.acceptedByKey.entrySet()) {
                assertEquals(1, entry.getValue().size(), where + ": session " + session.id + " key " + entry.getKey()
                        + " accepted more than once: " + entry.getValue());
            }
        }
        for (Session session : run.sessions) {
            if (!session.destroying) {
                session.destroying = true;
                Answer destroyed = checked(api.delete(session.path), where + " destroy");
                assertEquals(200, destroyed.status(), where + ": destroy " + destroyed.body());
            }
        }
        Answer health = checked(api.get("/v1/health"), where + " health");
        assertEquals(200, health.status(), where + ": health " + health.body());
        Answer registry = checked(api.get("/v1/completion-registry"), where + " registry");
        assertEquals(200, registry.status(), where + ": " + registry.body());
        assertEquals(0, registry.json().path("pendingWaiters").asInt(-1), where + ": waiters left: " + registry.body());
    }

    /**
     * The outcome a client was told agrees with the input's lifecycle: a result only for a consumed input,
     * a termination or abandonment only for one that was not consumed.
     */
    private static void agreesWithTheLedger(Answer completion, Watched w, String where) {
        Answer status = checked(api.get(w.session().path + "/inputs/" + w.inputId()), where + " input status");
        assertEquals(200, status.status(), where + ": " + status.body());
        String state = status.text("state");
        String outcome = completion.text("outcome");
        boolean agrees = switch (outcome) {
            case "completed", "completed_without_result", "callback_pending" -> state.equals("consumed");
            case "abandoned", "runtime_terminated" -> Set.of("abandoned", "superseded", "coalesced").contains(state);
            default -> false;
        };
        if (!agrees) {
            fail(where + ": told " + completion.body() + " but the input is " + status.body());
        }
    }

    /**
     * An operation on a session answered one of {@code ok}; or 404 once some worker began destroying the
     * session; or 409 with one of {@code refusals}, which for {@code not_ready} means once some worker
     * began stopping, retiring or destroying it (the state machine's other refusals are not modelled).
     */
    private static void expect(Answer answer, String where, Session session, Set<Integer> ok, Set<String> refusals) {
        String operation = where.substring(where.lastIndexOf(' ') + 1);
        CURRENT.get().count(operation + " " + answer.status() + (answer.status() >= 400 ? " " + answer.errorCode()
                : answer.json().has("outcome") ? " " + answer.text("outcome") : ""));
        if (ok.contains(answer.status())) {
            return;
        }
        if (answer.status() == 404 && answer.errorCode().equals("session_not_found") && session.destroying) {
            return;
        }
        if (answer.status() == 409 && refusals.contains(answer.errorCode())
                && (session.closing || !answer.errorCode().equals("not_ready"))) {
            return;
        }
        fail(where + " on session " + session.id + " (destroying " + session.destroying + ", closing "
                + session.closing + "): unexpected " + answer.status() + " " + answer.body());
    }

    private static void assertOutcome(Answer completion, String where) {
        String outcome = completion.text("outcome");
        if (!OUTCOMES.contains(outcome)) {
            fail(where + ": not one of the five outcomes: " + completion.body());
        }
        if (outcome.equals("completed") && !completion.json().path("result").path("text").isString()) {
            fail(where + ": a completed outcome without its result text: " + completion.body());
        }
    }

    /** Any answer: a documented status and a JSON object; an error names a code documented for its status. */
    private static Answer checked(Answer answer, String where) {
        int status = answer.status();
        if (!answer.json().isObject()) {
            fail(where + ": the body is not a JSON object (" + status + "): " + answer.body());
        }
        if (status == 200 || status == 201 || status == 202) {
            if (answer.json().has("error")) {
                fail(where + ": a success carrying an error: " + answer.body());
            }
            return answer;
        }
        Set<String> codes = ERROR_CODES.get(status);
        if (codes == null) {
            fail(where + ": undocumented status " + status + ": " + answer.body());
        }
        var error = answer.json().path("error");
        if (!error.path("code").isString() || !codes.contains(error.path("code").asString())
                || !error.path("message").isString() || error.path("message").asString().isBlank()) {
            fail(where + ": a malformed or undocumented error for " + status + ": " + answer.body());
        }
        return answer;
    }
}
