package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Submitters that keep going while the launcher shuts down are refused with one code, 503
 * {@code runtime_closed}: not 409 {@code not_ready} from a session the closing runtime already stopped.
 */
class ShutdownCodesTest {

    private static final int SUBMITTERS = 6;

    @TempDir
    Path root;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void submissionsDuringShutdownAnswer503Only() throws Exception {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        Launcher launcher = Launcher.start(distribution.config(), true, step -> { });
        URI base = launcher.http().baseUri();
        ApiClient api = new ApiClient(base);
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < SUBMITTERS; i++) {
            sessions.add(api.createSession("echo", "{}"));
        }
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        CountDownLatch submitting = new CountDownLatch(SUBMITTERS);
        ExecutorService pool = Executors.newFixedThreadPool(SUBMITTERS + 1);
        try {
            List<Future<?>> submitters = new ArrayList<>();
            for (int i = 0; i < SUBMITTERS; i++) {
                String path = "/v1/sessions/" + sessions.get(i) + "/inputs";
                String other = "/v1/sessions";
                boolean creates = i == 0;
                submitters.add(pool.submit(() -> {
                    ApiClient client = new ApiClient(base);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    boolean counted = false;
                    while (System.nanoTime() < deadline) {
                        ApiClient.Answer answer;
                        try {
                            answer = creates ? client.post(other, "{\"executor\":\"echo\"}")
                                    : client.post(path, "{\"text\":\"x\"}");
                        } catch (UncheckedIOException serverGone) {
                            return;
                        }
                        answers.merge(answer.status() + " " + answer.errorCode(), 1, Integer::sum);
                        if (!counted) {
                            counted = true;
                            submitting.countDown();
                        }
                    }
                }));
            }
            assertTrue(submitting.await(20, TimeUnit.SECONDS), "every submitter got an answer");
            launcher.close();
            for (Future<?> submitter : submitters) {
                submitter.get(40, TimeUnit.SECONDS);
            }
        } finally {
            launcher.close();
            pool.shutdownNow();
        }
        Map<String, Integer> refusals = new TreeMap<>(answers);
        refusals.keySet().removeIf(key -> key.startsWith("201") || key.startsWith("202"));
        assertTrue(refusals.containsKey("503 runtime_closed"), "some submissions met the shut-down: " + answers);
        assertEquals(List.of("503 runtime_closed"), List.copyOf(refusals.keySet()), "one code: " + answers);
    }
}
