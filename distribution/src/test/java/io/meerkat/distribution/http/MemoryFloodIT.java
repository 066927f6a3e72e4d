package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory as it ships: the packaged launcher under a small heap, flooded over loopback with 1 MB inputs into
 * sessions whose runs take ten minutes. It answers only 202, 413 or 429 ({@code queue_full} with
 * {@code Retry-After}), stays healthy and alive, and gives the memory back when the sessions are deleted; a
 * launcher whose bounds are lifted dies of an OutOfMemoryError instead of wedging. Bounded in requests and
 * time.
 */
class MemoryFloodIT {

    private static final int CLIENTS = 16;
    private static final int REQUESTS_PER_CLIENT = 12;
    private static final String ONE_MB = "m".repeat(1_000_000);
    private static final String OVER_PAYLOAD_LIMIT = "o".repeat(1_100_000);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern RETAINED = Pattern.compile("(?m)^meerkat_retained_result_bytes(?:\\{[^}]*})? (\\S+)$");

    @TempDir
    Path folder;

    private final PackagedLauncher launcher = new PackagedLauncher();

    @AfterEach
    void killLeftovers() {
        launcher.close();
    }

    private Path config(String extra) throws IOException {
        Path config = folder.resolve("meerkat.properties");
        Files.writeString(config, Files.readString(PackagedLauncher.DIST.resolve("conf/meerkat.properties"))
                + "\nmeerkat.http.max-body-bytes=2097152\n" + extra);
        return config;
    }

    private static String input(String text) {
        return "{\"text\":\"" + text + "\"}";
    }

    /** POSTs with a short timeout: a wedged server fails the test in bounded time instead of hanging it. */
    private static Answer post(ApiClient api, String path, String body) {
        return api.send(api.request(path).timeout(REQUEST_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String abbreviated(String body) {
        return body.length() <= 300 ? body : body.substring(0, 300) + "...";
    }

    private static long retainedResultBytes(ApiClient api) {
        Answer metrics = api.send(api.request("/metrics").timeout(REQUEST_TIMEOUT).GET());
        Matcher matcher = RETAINED.matcher(metrics.body());
        assertTrue(matcher.find(), metrics.body());
        return (long) Double.parseDouble(matcher.group(1));
    }

    @Test
    void aFloodOfLargeInputsUnderASmallHeapIsRefusedAndTheServerStaysHealthy() throws Exception {
        PackagedLauncher.Served served = launcher.serve(Map.of("JAVA_OPTS", "-Xmx128m"),
                "--config", config("").toString());
        ApiClient api = new ApiClient(served.uri());
        List<String> slow = List.of(api.createSession("echo", "{\"delayMs\":\"600000\"}"),
                api.createSession("echo", "{\"delayMs\":\"600000\"}"));

        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        List<Answer> refusals = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong slowestHealthMillis = new AtomicLong();
        AtomicLong healthChecks = new AtomicLong();
        Thread prober = new Thread(() -> {
            while (flooding.get()) {
                long start = System.nanoTime();
                try {
                    Answer health = api.send(api.request("/v1/health").timeout(REQUEST_TIMEOUT).GET());
                    if (health.status() != 200) {
                        failures.add(new AssertionError("health answered " + health.status() + " " + health.body()));
                    }
                } catch (RuntimeException e) {
                    failures.add(e);
                    return;
                }
                healthChecks.incrementAndGet();
                slowestHealthMillis.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
            }
        }, "health-prober");
        prober.start();
        CountDownLatch done = new CountDownLatch(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Thread thread = new Thread(() -> {
                try {
                    for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                        String text = (client + i) % 10 == 0 ? OVER_PAYLOAD_LIMIT : ONE_MB;
                        Answer answer = post(api, "/v1/sessions/" + slow.get((client + i) % 2) + "/inputs", input(text));
                        statuses.merge(answer.status(), 1, Integer::sum);
                        if (answer.status() == 429) {
                            refusals.add(answer);
                        }
                    }
                } catch (RuntimeException e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            }, "flood-" + c);
            thread.start();
        }
        boolean finished = done.await(3, TimeUnit.MINUTES);
        flooding.set(false);
        prober.join(TimeUnit.SECONDS.toMillis(30));

        assertTrue(finished, "the flood did not finish in 3 minutes: " + new TreeMap<>(statuses));
        assertEquals(List.of(), failures, "answers so far: " + new TreeMap<>(statuses));
        assertTrue(served.process().isAlive(), Files.readString(served.stderr()));
        assertEquals(java.util.Set.of(202, 413, 429), new TreeMap<>(statuses).keySet(), "statuses " + statuses);
        assertEquals(CLIENTS * REQUESTS_PER_CLIENT, statuses.values().stream().mapToInt(Integer::intValue).sum());
        for (Answer refusal : refusals) {
            assertEquals("queue_full", refusal.errorCode(), refusal.body());
            assertEquals("1", refusal.headers().firstValue("Retry-After").orElse(null), refusal.body());
        }
        assertTrue(healthChecks.get() > 0 && slowestHealthMillis.get() < 5_000,
                healthChecks + " health checks, the slowest took " + slowestHealthMillis + " ms");

        // Deleting the flooded sessions gives their queued content back: a new session takes a 1 MB input.
        for (String session : slow) {
            assertEquals(200, api.delete("/v1/sessions/" + session).status());
        }
        String fresh = api.createSession("echo", "{\"delayMs\":\"600000\"}");
        assertEquals(202, post(api, "/v1/sessions/" + fresh + "/inputs", input(ONE_MB)).status());

        // Results are bounded by bytes while a session lives, and dropped when it is deleted.
        String fast = api.createSession("echo", "{}");
        for (int i = 0; i < 60; i++) {
            Answer submitted = post(api, "/v1/sessions/" + fast + "/inputs", input(ONE_MB));
            assertEquals(202, submitted.status(), submitted.body());
            Answer completion = api.send(api.request("/v1/sessions/" + fast + "/inputs/" + submitted.text("inputId")
                    + "/completion?timeoutMs=10000").timeout(REQUEST_TIMEOUT).GET());
            assertEquals("completed", completion.text("outcome"), abbreviated(completion.body()));
        }
        long retained = retainedResultBytes(api);
        // Two caches (the API's and the history registry's), each bounded by an eighth of the 128 MiB heap.
        assertTrue(retained > 0 && retained <= 2 * (16L << 20), retained + " bytes retained");
        assertEquals(200, api.delete("/v1/sessions/" + fast).status());
        assertTrue(retainedResultBytes(api) < 4_096, retainedResultBytes(api) + " bytes retained after the delete");
        assertTrue(served.process().isAlive(), Files.readString(served.stderr()));
    }

    @Test
    void anOutOfMemoryErrorEndsTheProcessInsteadOfWedgingIt() throws Exception {
        // The bounds lifted, so that the flood does reach the heap's end.
        PackagedLauncher.Served served = launcher.serve(Map.of("JAVA_OPTS", "-Xmx64m"), "--config", config("""
                meerkat.session.max-queued-inputs=1000000
                meerkat.session.max-queued-chars=100000000000
                meerkat.runtime.max-queued-chars=100000000000
                """).toString());
        ApiClient api = new ApiClient(served.uri());
        String session = api.createSession("echo", "{\"delayMs\":\"600000\"}");

        int sent = 0;
        try {
            for (; sent < 200 && served.process().isAlive(); sent++) {
                Answer answer = post(api, "/v1/sessions/" + session + "/inputs", input(ONE_MB));
                if (answer.status() != 202) {
                    break;
                }
            }
        } catch (UncheckedIOException connectionEnded) {
            // The process ended under the request: what this test expects.
        }

        assertTrue(served.process().waitFor(60, TimeUnit.SECONDS),
                "still running after " + sent + " inputs of 1 MB in a 64 MiB heap: " + Files.readString(served.stderr()));
        assertFalse(served.process().isAlive());
        // 3 is what HotSpot exits with under -XX:+ExitOnOutOfMemoryError (it says why on standard output).
        assertEquals(3, served.process().exitValue(), Files.readString(served.stderr()));
    }
}
