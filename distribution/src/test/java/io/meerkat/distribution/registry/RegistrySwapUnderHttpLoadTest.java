package io.meerkat.distribution.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.osgi.framework.Bundle;

/**
 * {@link RegistryBundleSwapTest}'s swaps while clients work over HTTP: workers submit inputs and long-poll
 * their completions (some at once, some after a few more submits, some first with a short timeout) while
 * the test thread starts and stops the registry bundles through the embedded Felix, over and over, until
 * the workers are done. Every completion a client is answered must be the input's real outcome,
 * {@code completed} with its own text: never {@code runtime_terminated} (a waiter left behind in a
 * stopped bundle's registry ends "completion registry closed") nor a 202 within a long-poll's 20 s.
 */
class RegistrySwapUnderHttpLoadTest {

    private static final int WORKERS = 4;
    private static final int ROUNDS = 30;

    @TempDir
    Path root;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31337L, -1L})
    void swapsUnderHttpLoadAnswerEveryCompletionWithItsRealOutcome(long seed) throws Exception {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        try (Launcher launcher = Launcher.start(distribution.config(), true, step -> { })) {
            ApiClient api = new ApiClient(launcher.http().baseUri());
            Random setup = new Random(seed);
            List<String> sessions = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sessions.add(api.createSession("echo", "{\"delayMs\":\"" + (1 + setup.nextInt(5)) + "\"}"));
            }
            AtomicInteger answered = new AtomicInteger();
            ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < WORKERS; w++) {
                    Random random = new Random(seed + w);
                    String where = "seed " + seed + ", worker " + w;
                    done.add(workers.submit(() -> {
                        work(api, sessions, random, where, answered);
                        return null;
                    }));
                }
                int swaps = swapUntilDone(launcher, new Random(seed ^ 0x5EED), done);
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
                System.out.println("RegistrySwapUnderHttpLoadTest seed " + seed + ": " + swaps + " swaps, "
                        + launcher.registry().handedOver() + " waiters handed over, " + answered + " completions answered");
                assertTrue(swaps >= 10, "seed " + seed + ": only " + swaps + " swaps happened under load");
                assertTrue(launcher.registry().handedOver() > 0, "seed " + seed + ": the swaps must have moved waiters");
            } finally {
                workers.shutdownNow();
            }
            Answer registry = api.get("/v1/completion-registry");
            assertEquals(0, registry.json().path("pendingWaiters").asInt(-1), "seed " + seed + ": " + registry.body());
        }
    }

    /** Submits and long-polls; every completion answered must be "completed" with the input's own text. */
    private static void work(ApiClient api, List<String> sessions, Random random, String where, AtomicInteger answered) {
        for (int round = 0; round < ROUNDS; round++) {
            List<String[]> batch = new ArrayList<>();
            List<CompletableFuture<Answer>> early = new ArrayList<>();
            int size = 1 + random.nextInt(4);
            for (int i = 0; i < size; i++) {
                String session = sessions.get(random.nextInt(sessions.size()));
                String text = "r" + round + "-" + i + "-" + random.nextInt(1_000_000);
                Answer submitted = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"" + text + "\"}");
                assertEquals(202, submitted.status(), where + ": " + submitted.body());
                String path = "/v1/sessions/" + session + "/inputs/" + submitted.text("inputId") + "/completion";
                batch.add(new String[] {path, text});
                // Some waits start at once, asynchronously, and are in flight through the next swaps.
                early.add(random.nextBoolean() ? api.getAsync(path + "?timeoutMs=20000") : null);
            }
            for (int i = 0; i < batch.size(); i++) {
                String path = batch.get(i)[0];
                String text = batch.get(i)[1];
                if (random.nextInt(3) == 0) {
                    Answer quick = api.get(path + "?timeoutMs=" + random.nextInt(20));
                    if (quick.status() == 202) {
                        assertEquals("pending", quick.text("outcome"), where + ": " + quick.body());
                    } else {
                        assertCompleted(quick, text, where);
                        answered.incrementAndGet();
                    }
                }
                Answer completion = early.get(i) != null ? early.get(i).join() : api.get(path + "?timeoutMs=20000");
                assertCompleted(completion, text, where);
                answered.incrementAndGet();
            }
        }
    }

    private static void assertCompleted(Answer completion, String text, String where) {
        if (completion.status() != 200 || !completion.text("outcome").equals("completed")
                || !completion.json().path("result").path("text").asString().equals(text)) {
            fail(where + ": input '" + text + "' was answered " + completion.status() + " " + completion.body());
        }
    }

    /** Starts and stops the registry bundles in a random order until every worker is done. */
    private static int swapUntilDone(Launcher launcher, Random random, List<Future<?>> workers) throws Exception {
        Bundle history = launcher.felix().context().installBundle(
                TestDistribution.jar(TestDistribution.HISTORY_BUNDLE).toUri().toString());
        Bundle inMemory = RegistryBundleSwapTest.bundle(launcher, "io.meerkat.completion");
        int swaps = 0;
        while (!workers.stream().allMatch(Future::isDone)) {
            Bundle bundle = random.nextInt(3) == 0 ? inMemory : history;
            if (bundle.getState() == Bundle.ACTIVE) {
                bundle.stop();
            } else {
                bundle.start();
            }
            swaps++;
        }
        // Leave a bundle registry active, as the launcher normally runs.
        history.start();
        return swaps;
    }
}
