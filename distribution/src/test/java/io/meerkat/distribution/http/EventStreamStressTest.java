package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Many event-stream clients on sessions taking bursts of inputs: fast readers, slow readers (that read
 * nothing past {@code : subscribed} until the bursts are in, so the server's writes back up behind them)
 * and clients that disconnect at a random point. One session is destroyed while its inputs are in flight;
 * the others once they are drained.
 *
 * <p>For every client that stays: each event block is well formed ({@code id:} is the data's sequence,
 * {@code event:} its type), sequences strictly increase with no gap (each session publishes far fewer
 * events than a subscriber's buffer holds, so none may be dropped), every input submitted after it
 * subscribed is seen admitted and every input seen admitted is later seen consumed or abandoned, and the
 * response body ends once its session is destroyed. Clients that disconnected leave no open stream behind
 * once their sessions write again, and none is left once every session is destroyed.
 */
class EventStreamStressTest {

    private static final int SESSIONS = 3;
    private static final int FAST = 3;
    private static final int SLOW = 2;
    private static final int LEAVING = 4;
    private static final int BURSTS = 4;
    private static final Set<String> TERMINAL = Set.of("consumed", "abandoned", "superseded", "coalesced");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path root;

    static Launcher launcher;
    static ApiClient api;
    static HttpClient slowClient;
    static ExecutorService slowReaders;

    @BeforeAll
    static void start() {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        launcher = Launcher.start(distribution.config(), true, step -> { });
        api = new ApiClient(launcher.http().baseUri());
        slowClient = HttpClient.newHttpClient();
        slowReaders = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "test-slow-sse-reader");
            thread.setDaemon(true);
            return thread;
        });
    }

    @AfterAll
    static void stop() {
        if (slowReaders != null) {
            slowReaders.shutdownNow();
        }
        if (launcher != null) {
            launcher.close();
        }
    }

    /**
     * A client that reads the stream up to {@code : subscribed}, then nothing until {@code release}
     * opens; reading the body only as it goes, the HTTP client stops taking data from the socket meanwhile.
     */
    private static final class SlowReader {
        final CountDownLatch subscribed = new CountDownLatch(1);
        final List<String> lines = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> ended;

        SlowReader(String session, CountDownLatch release) {
            ended = slowClient.sendAsync(api.request("/v1/sessions/" + session + "/events").GET().build(),
                            HttpResponse.BodyHandlers.ofInputStream())
                    .thenAcceptAsync(response -> read(response.body(), release), slowReaders);
        }

        private void read(InputStream body, CountDownLatch release) {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.add(line);
                    if (line.equals(": subscribed")) {
                        subscribed.countDown();
                        release.await();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** A client that stays to the end: fast (lines read as they come) or slow. */
    private record Staying(String kind, int session, ApiClient.EventLines fast, SlowReader slow) {
        CompletableFuture<Void> ended() {
            return fast != null ? fast.reading() : slow.ended;
        }

        /** Every line read; a fast client's {@code : subscribed} was taken off its queue by awaitSubscribed. */
        List<String> lines() {
            if (slow != null) {
                return slow.lines;
            }
            List<String> lines = new ArrayList<>(List.of(": subscribed"));
            lines.addAll(fast.lines());
            return lines;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11L, 90210L})
    void streamsStayOrderedCompleteAndEndWithTheirSession(long seed) throws Exception {
        Random random = new Random(seed);
        String where = "seed " + seed;
        List<String> sessions = new ArrayList<>();
        List<List<String>> inputs = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
            sessions.add(api.createSession("echo", "{\"delayMs\":\"" + random.nextInt(4) + "\"}"));
            inputs.add(new ArrayList<>());
        }
        CountDownLatch release = new CountDownLatch(1);
        List<Staying> staying = new ArrayList<>();
        // Per burst (index -1: at once, maybe before the response), the clients that leave right after it.
        Map<Integer, List<ApiClient.EventLines>> leaving = new HashMap<>();
        for (int s = 0; s < SESSIONS; s++) {
            for (int i = 0; i < FAST; i++) {
                staying.add(new Staying("fast", s, api.events(sessions.get(s)), null));
            }
            for (int i = 0; i < SLOW; i++) {
                staying.add(new Staying("slow", s, null, new SlowReader(sessions.get(s), release)));
            }
            for (int i = 0; i < LEAVING; i++) {
                ApiClient.EventLines client = api.events(sessions.get(s));
                int after = random.nextInt(BURSTS + 1) - 1;
                if (after == -1) {
                    client.close();
                } else {
                    leaving.computeIfAbsent(after, k -> new ArrayList<>()).add(client);
                }
            }
        }
        try {
            for (Staying client : staying) {
                if (client.fast() != null) {
                    client.fast().awaitSubscribed(10);
                } else {
                    assertTrue(client.slow().subscribed.await(10, TimeUnit.SECONDS), where + ": a slow client subscribes");
                }
            }

            // Bursts; the first session is destroyed in the middle of them, inputs still in flight.
            int destroyedAfter = random.nextInt(BURSTS - 1);
            Set<Integer> destroyed = new HashSet<>();
            for (int burst = 0; burst < BURSTS; burst++) {
                for (int s = 0; s < SESSIONS; s++) {
                    if (destroyed.contains(s)) {
                        continue;
                    }
                    int count = 5 + random.nextInt(6);
                    for (int i = 0; i < count; i++) {
                        Answer submitted = api.post("/v1/sessions/" + sessions.get(s) + "/inputs",
                                "{\"text\":\"b" + burst + "-" + i + "\"}");
                        assertEquals(202, submitted.status(), where + ": " + submitted.body());
                        inputs.get(s).add(submitted.text("inputId"));
                    }
                }
                leaving.getOrDefault(burst, List.of()).forEach(ApiClient.EventLines::close);
                if (burst == destroyedAfter) {
                    Answer gone = api.delete("/v1/sessions/" + sessions.get(0));
                    assertEquals(200, gone.status(), where + ": " + gone.body());
                    destroyed.add(0);
                }
            }
            for (int s = 1; s < SESSIONS; s++) {
                awaitCompleted(where, sessions.get(s), inputs.get(s));
            }
            release.countDown();
            for (Staying client : staying) {
                if (client.session() == 0) {
                    client.ended().get(10, TimeUnit.SECONDS);
                }
            }

            // Every client of the live sessions that left must be gone once the server writes to it again.
            // Nothing tells the test when Jetty sees a write fail, so poll the count with a deadline.
            for (int s = 1; s < SESSIONS; s++) {
                String flush = api.post("/v1/sessions/" + sessions.get(s) + "/inputs", "{\"text\":\"flush\"}").text("inputId");
                inputs.get(s).add(flush);
                awaitCompleted(where, sessions.get(s), List.of(flush));
            }
            int stayingOnLive = (SESSIONS - 1) * (FAST + SLOW);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (launcher.http().openEventStreams() != stayingOnLive && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(stayingOnLive, launcher.http().openEventStreams(),
                    where + ": open streams once the clients that left were written to");

            for (int s = 1; s < SESSIONS; s++) {
                Answer gone = api.delete("/v1/sessions/" + sessions.get(s));
                assertEquals(200, gone.status(), where + ": " + gone.body());
            }
            for (Staying client : staying) {
                try {
                    client.ended().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    fail(where + ": a " + client.kind() + " client's stream of session " + client.session()
                            + " did not end after the session was destroyed");
                }
            }
            assertEquals(0, launcher.http().openEventStreams(), where + ": open streams once every session is destroyed");
            for (Staying client : staying) {
                check(where + ", " + client.kind() + " client of session " + client.session(), client.lines(),
                        sessions.get(client.session()), inputs.get(client.session()));
            }
        } finally {
            release.countDown();
            staying.stream().filter(c -> c.fast() != null).forEach(c -> c.fast().close());
            leaving.values().forEach(list -> list.forEach(ApiClient.EventLines::close));
        }
    }

    private static void awaitCompleted(String where, String session, List<String> inputIds) {
        for (String input : inputIds) {
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");
            assertEquals("completed", completion.text("outcome"), where + ": " + completion.body());
        }
    }

    /** One staying client's whole stream. */
    private static void check(String where, List<String> lines, String session, List<String> submitted) {
        assertTrue(!lines.isEmpty() && lines.get(0).equals(": subscribed"), where + ": opens with ': subscribed': "
                + lines.stream().limit(3).toList());
        long last = -1;
        Set<String> admitted = new HashSet<>();
        Set<String> ended = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || line.startsWith(":")) {
                continue;
            }
            if (!line.startsWith("id: ") || i + 2 >= lines.size()) {
                fail(where + ": an event block must open with 'id:': line " + i + " " + line);
            }
            String type = lines.get(i + 1);
            String data = lines.get(i + 2);
            if (!type.startsWith("event: ") || !data.startsWith("data: ")) {
                fail(where + ": a malformed event block at line " + i + ": " + lines.subList(i, i + 3));
            }
            JsonNode event = JSON.readTree(data.substring(6));
            long sequence = Long.parseLong(line.substring(4));
            assertEquals(sequence, event.path("sequence").asLong(), where + ": id is the sequence: " + data);
            assertEquals(type.substring(7), event.path("type").asString(), where + ": event is the type: " + data);
            assertEquals(session, event.path("sessionId").asString(), where + ": " + data);
            if (last >= 0) {
                assertEquals(last + 1, sequence, where + ": sequences follow one another (no event dropped)");
            }
            last = sequence;
            if (event.path("type").asString().equals("input_transitioned")) {
                String to = event.path("to").asString();
                if (to.equals("accepted")) {
                    admitted.add(event.path("inputId").asString());
                } else if (TERMINAL.contains(to)) {
                    ended.add(event.path("inputId").asString());
                }
            }
            i += 2;
        }
        Set<String> unseen = new HashSet<>(submitted);
        unseen.removeAll(admitted);
        assertTrue(unseen.isEmpty(), where + ": inputs submitted after it subscribed but never seen admitted: " + unseen);
        Set<String> unfinished = new HashSet<>(admitted);
        unfinished.removeAll(ended);
        assertTrue(unfinished.isEmpty(), where + ": inputs seen admitted but never consumed or abandoned: " + unfinished);
    }
}
