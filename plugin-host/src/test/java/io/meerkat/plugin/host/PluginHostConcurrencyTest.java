package io.meerkat.plugin.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.UnknownExecutorException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operators stop and start plugins from many threads while sessions are created and fed: every
 * PF4J call runs on the owner thread, no session is left running a withdrawn kind, and every
 * waiter is resolved.
 */
class PluginHostConcurrencyTest {

    private static final List<String> IDS = List.of("p0", "p1", "p2");

    @TempDir
    static Path plugins;

    @BeforeAll
    static void buildPlugins() throws Exception {
        for (String id : IDS) {
            Fixtures.plugin(id, "k" + id.substring(1)).writeTo(plugins);
        }
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x9F4_5708L);

    @RepeatedTest(6)
    void stopAndStartStormKeepsKindsSessionsAndWaitersConsistent(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String where = "seed " + seed + " (replay: -Dmeerkat.seed=" + BASE_SEED + ")";
        Journal.clear();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        ConcurrentLinkedQueue<Submission> submissions = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<SessionHandle> sessions = new ConcurrentLinkedQueue<>();
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = ExecutorPluginHostTest.runtimeOn(host)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> workers = new ArrayList<>();
            for (int worker = 0; worker < 4; worker++) {
                Random random = new Random(seed + worker);
                workers.add(threads.submit(() -> {
                    go.await();
                    for (int op = 0; op < 60; op++) {
                        String id = IDS.get(random.nextInt(IDS.size()));
                        switch (random.nextInt(4)) {
                            case 0 -> host.stopPlugin(id, "storm");
                            case 1 -> host.startPlugin(id);
                            default -> {
                                try {
                                    boolean hold = random.nextBoolean();
                                    SessionHandle session = runtime.createSession(SessionSpec.of("k" + id.substring(1))
                                            .withConfig(Map.of("hold", Boolean.toString(hold))));
                                    sessions.add(session);
                                    submissions.add(session.submit(Input.prompt("op " + op)));
                                } catch (UnknownExecutorException withdrawn) {
                                    // The plugin is stopped at the moment: a valid outcome of the race.
                                } catch (io.meerkat.runtime.api.RuntimeNotReadyException stoppedMeanwhile) {
                                    // Stopped between creation and submit: also a valid outcome.
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> worker : workers) {
                try {
                    worker.get(60, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    throw new AssertionError(where + ": a storm worker failed", e);
                }
            }

            Set<String> served = host.kinds();
            for (PluginReport report : host.plugins()) {
                String kind = "k" + report.pluginId().substring(1);
                assertEquals(report.status() == PluginStatus.STARTED, served.contains(kind),
                        where + ": " + report);
            }
            for (SessionHandle session : sessions) {
                String kind = session.status().executorKind();
                if (!served.contains(kind)) {
                    assertEquals(RuntimeState.STOPPED, session.state(), where + ": session of withdrawn " + kind);
                }
            }
            for (String event : Journal.events()) {
                if (event.startsWith("start ") || event.startsWith("stop ")) {
                    assertTrue(event.endsWith(" on meerkat-plugin-host"), where + ": PF4J call off the owner: " + event);
                }
            }
        } finally {
            threads.shutdownNow();
        }
        // The runtime is closed: every waiter has an outcome (a hang fails the get).
        assertFalse(submissions.isEmpty(), where + ": the storm submitted work");
        for (Submission submission : submissions) {
            CompletionOutcome outcome;
            try {
                outcome = submission.completion().get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError(where + ": a waiter was left pending", e);
            }
            assertTrue(outcome instanceof CompletionOutcome.Completed || outcome instanceof CompletionOutcome.RuntimeTerminated
                    || outcome instanceof CompletionOutcome.Abandoned, where + ": " + outcome);
        }
    }
}
