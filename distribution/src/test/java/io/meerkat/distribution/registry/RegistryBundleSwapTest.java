package io.meerkat.distribution.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * The launcher's registry swap with real bundles in the embedded Felix: installing a higher-ranked
 * registry bundle, stopping it and starting it again while sessions have waiters pending.
 */
class RegistryBundleSwapTest {

    @TempDir
    Path root;

    @Test
    void theHighestRankedBundleIsActiveAndStoppingItFallsBack() throws Exception {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE, TestDistribution.HISTORY_BUNDLE);
        try (Launcher launcher = Launcher.start(distribution.config(), false, step -> { })) {
            assertEquals("outcome-history", launcher.registry().active().name());
            assertEquals(10, launcher.registry().active().ranking());
            assertEquals("io.meerkat.completion.history", launcher.registry().active().bundle());

            bundle(launcher, "io.meerkat.completion.history").stop();
            assertEquals("in-memory", launcher.registry().active().name());

            bundle(launcher, "io.meerkat.completion").stop();
            assertEquals("built-in", launcher.registry().active().name());

            bundle(launcher, "io.meerkat.completion.history").start();
            assertEquals("outcome-history", launcher.registry().active().name());
        }
    }

    /** A service whose ranking changes is re-ordered, and the tracker keeps track of every service. */
    @Test
    void aChangedRankingIsFollowed() throws Exception {
        var distribution = TestDistribution.create(root);
        try (Launcher launcher = Launcher.start(distribution.config(), false, step -> { })) {
            var context = launcher.felix().context();
            var a = context.registerService(CompletionRegistry.class, new InMemoryCompletionRegistry(), ranked("a", 0));
            var b = context.registerService(CompletionRegistry.class, new InMemoryCompletionRegistry(), ranked("b", 10));
            var c = context.registerService(CompletionRegistry.class, new InMemoryCompletionRegistry(), ranked("c", 5));
            assertEquals("b", launcher.registry().active().name());
            SessionHandle session = launcher.runtime().createSession(SessionSpec.of("echo")
                    .withConfig(Map.of("delayMs", "600000")));
            CompletableFuture<CompletionOutcome> waiting = session.submit(Input.prompt("held")).completion();

            b.setProperties(ranked("b", -5));
            assertEquals("c", launcher.registry().active().name());
            b.unregister();
            assertEquals("c", launcher.registry().active().name());
            c.unregister();
            assertEquals("a", launcher.registry().active().name());
            a.unregister();
            assertEquals("built-in", launcher.registry().active().name());

            assertFalse(waiting.isDone(), "the waiter moved along every swap");
            session.runtimeControl(new io.meerkat.runtime.api.RuntimeControlCommand.Stop());
            assertEquals(new CompletionOutcome.RuntimeTerminated("runtime stopped"), waiting.get(10, TimeUnit.SECONDS));
        }
    }

    private static java.util.Dictionary<String, Object> ranked(String name, int ranking) {
        java.util.Hashtable<String, Object> properties = new java.util.Hashtable<>();
        properties.put(org.osgi.framework.Constants.SERVICE_RANKING, ranking);
        properties.put("meerkat.registry.name", name);
        return properties;
    }

    @Test
    void rankingsComeFromTheConfiguration() throws Exception {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE, TestDistribution.HISTORY_BUNDLE);
        try (Launcher launcher = Launcher.start(distribution.config(Map.of("meerkat.registry.in-memory.ranking", "50")),
                false, step -> { })) {
            assertEquals("in-memory", launcher.registry().active().name());
            assertEquals(50, launcher.registry().active().ranking());
        }
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0xB5_5A4BL);

    /**
     * Sessions on a slow echo executor keep waiters pending while the registry is swapped up and down
     * (bundle installed, stopped, started, the in-memory one stopped and started). Every waiter must end
     * {@code Completed} with its own text: a waiter left in a stopped bundle's registry would end
     * {@code RuntimeTerminated("completion registry closed")}, one resolved twice could not be told apart
     * here but is ruled out by the registries' remove-then-complete contract.
     */
    @RepeatedTest(3)
    void swapsUnderLoadLoseNoWaiter(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String where = "seed " + seed + " (replay: -Dmeerkat.seed=" + BASE_SEED + ")";
        Random random = new Random(seed);
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        try (Launcher launcher = Launcher.start(distribution.config(), false, step -> { })) {
            List<SessionHandle> sessions = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                sessions.add(launcher.runtime().createSession(SessionSpec.of("echo")
                        .withConfig(Map.of("delayMs", Integer.toString(1 + random.nextInt(4))))));
            }
            List<CompletableFuture<CompletionOutcome>> completions = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            Bundle history = null;
            int swaps = 0;
            int maxPending = 0;
            for (int round = 0; round < 12; round++) {
                for (int i = 0; i < 20; i++) {
                    SessionHandle session = sessions.get(random.nextInt(sessions.size()));
                    String text = "r" + round + "-" + i;
                    completions.add(session.submit(Input.prompt(text)).completion());
                    texts.add(text);
                }
                maxPending = Math.max(maxPending, launcher.registry().pendingCount());
                switch (random.nextInt(3)) {
                    case 0 -> {
                        if (history == null) {
                            history = launcher.felix().context().installBundle(
                                    TestDistribution.jar(TestDistribution.HISTORY_BUNDLE).toUri().toString());
                        }
                        history.start();
                    }
                    case 1 -> {
                        if (history != null) {
                            history.stop();
                        }
                    }
                    default -> {
                        Bundle inMemory = bundle(launcher, "io.meerkat.completion");
                        if (inMemory.getState() == Bundle.ACTIVE) {
                            inMemory.stop();
                        } else {
                            inMemory.start();
                        }
                    }
                }
                swaps++;
            }
            for (int i = 0; i < completions.size(); i++) {
                CompletionOutcome outcome;
                try {
                    outcome = completions.get(i).get(30, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new AssertionError(where + ": input " + texts.get(i) + " was left pending", e);
                }
                assertTrue(outcome instanceof CompletionOutcome.Completed completed
                                && completed.result().text().equals(texts.get(i)),
                        where + ": input " + texts.get(i) + " ended " + outcome);
            }
            assertEquals(0, launcher.registry().pendingCount(), where);
            assertTrue(launcher.registry().handedOver() > 0,
                    where + ": the swaps must have moved waiters (" + swaps + " swaps, up to " + maxPending + " pending)");
        }
    }

    static Bundle bundle(Launcher launcher, String symbolicName) {
        for (Bundle bundle : launcher.felix().context().getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }
}
