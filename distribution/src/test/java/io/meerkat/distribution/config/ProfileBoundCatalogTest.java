package io.meerkat.distribution.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.distribution.store.RuntimeStores;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.RunProgressListener;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session's executor is built from its operator profile as declared now: at creation, and again when the
 * session is recovered from the store, which kept neither the profile's secret values nor its say over the
 * operator keys.
 */
class ProfileBoundCatalogTest {

    @TempDir
    Path dir;

    /** An executor kind with an operator key, a secret operator key and a client key; records each config. */
    static final class AgentFactory implements ExecutorFactory {
        final List<Map<String, String>> created = new CopyOnWriteArrayList<>();

        @Override
        public String kind() {
            return "agent";
        }

        @Override
        public List<ConfigKey> configKeys() {
            return List.of(ConfigKey.operator("command", "the program"),
                    ConfigKey.operator("token", "a credential").asSecret(),
                    ConfigKey.client("model", "the model"));
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            created.add(Map.copyOf(context.config()));
            return new CoreExecutor() {
                @Override
                public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
                    return new CompletableFuture<>();
                }

                @Override
                public CompletionStage<Void> control(RunControlCommand command) {
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** A catalog of one kind that can be withdrawn, as the plugin host's. */
    static final class Plugins implements ExecutorCatalog {
        volatile ExecutorFactory factory;
        final List<WithdrawalListener> listeners = new CopyOnWriteArrayList<>();

        Plugins(ExecutorFactory factory) {
            this.factory = factory;
        }

        void withdraw() {
            factory = null;
            listeners.forEach(listener -> listener.kindsWithdrawn(Set.of("agent"), "plugin stopped"));
        }

        @Override
        public Optional<ExecutorFactory> factory(String kind) {
            ExecutorFactory current = factory;
            return current != null && current.kind().equals(kind) ? Optional.of(current) : Optional.empty();
        }

        @Override
        public Set<String> kinds() {
            return factory == null ? Set.of() : Set.of("agent");
        }

        @Override
        public void addWithdrawalListener(WithdrawalListener listener) {
            listeners.add(listener);
        }
    }

    private static SessionConfigPolicy policy(String command, boolean clientMaySetOperatorKeys) {
        Map<String, String> values = new HashMap<>();
        values.put("meerkat.profile.agent.fast.command", command);
        values.put("meerkat.profile.agent.fast.token", "s3cret");
        values.put("meerkat.profile.agent.fast.model", "small");
        return new SessionConfigPolicy(ExecutorProfiles.from(values), clientMaySetOperatorKeys);
    }

    @Test
    void theExecutorGetsTheProfileAsDeclaredNowAndTheClientsKeysWithoutTheProfileName() {
        AgentFactory agent = new AgentFactory();
        ProfileBoundCatalog catalog = new ProfileBoundCatalog(new Plugins(agent), policy("/bin/new-agent", false));
        ExecutorFactory bound = catalog.factory("agent").orElseThrow();

        // As a store hands it back: the profile's values of then, the secret dropped, the client's model.
        bound.create(new ExecutorContext(SessionId.random(), "agent", Map.of(ProfileBoundCatalog.PROFILE_KEY, "fast",
                "command", "/bin/old-agent", "model", "large"), Runnable::run, RunProgressListener.NONE));

        assertEquals(Map.of("command", "/bin/new-agent", "token", "s3cret", "model", "large"), agent.created.get(0));
    }

    @Test
    void withoutAProfileNameTheConfigIsHandedOnAsItIs() {
        AgentFactory agent = new AgentFactory();
        ExecutorFactory bound = new ProfileBoundCatalog(new Plugins(agent), policy("/bin/agent", false))
                .factory("agent").orElseThrow();
        bound.create(new ExecutorContext(SessionId.random(), "agent", Map.of("model", "m"), Runnable::run, RunProgressListener.NONE));
        assertEquals(Map.of("model", "m"), agent.created.get(0));
    }

    @Test
    void aProfileNoLongerDeclaredRefusesTheExecutor() {
        AgentFactory agent = new AgentFactory();
        ExecutorFactory bound = new ProfileBoundCatalog(new Plugins(agent), policy("/bin/agent", false))
                .factory("agent").orElseThrow();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> bound.create(
                new ExecutorContext(SessionId.random(), "agent", Map.of(ProfileBoundCatalog.PROFILE_KEY, "gone"),
                        Runnable::run, RunProgressListener.NONE)));
        assertTrue(refused.getMessage().contains("no profile 'gone'"), refused.getMessage());
        assertTrue(agent.created.isEmpty());
    }

    @Test
    void onlyWhenClientsMaySetOperatorKeysDoesAClientsOperatorValueSurvive() {
        AgentFactory agent = new AgentFactory();
        Map<String, String> stored = Map.of(ProfileBoundCatalog.PROFILE_KEY, "fast", "command", "/bin/old");
        new ProfileBoundCatalog(new Plugins(agent), policy("/bin/profile", true)).factory("agent").orElseThrow()
                .create(new ExecutorContext(SessionId.random(), "agent", stored, Runnable::run, RunProgressListener.NONE));
        // The profile still sets command, so its value wins; with the unsafe switch a key it does not set stays.
        assertEquals("/bin/profile", agent.created.get(0).get("command"));
    }

    @Test
    void theSameFactoryIsHandedOutUntilItsKindIsWithdrawn() {
        AgentFactory agent = new AgentFactory();
        Plugins plugins = new Plugins(agent);
        ProfileBoundCatalog catalog = new ProfileBoundCatalog(plugins, policy("/bin/agent", false));
        ExecutorFactory first = catalog.factory("agent").orElseThrow();
        assertSame(first, catalog.factory("agent").orElseThrow(), "the runtime compares factories by identity");
        assertTrue(first.configKey(ProfileBoundCatalog.PROFILE_KEY).isPresent());
        assertEquals(ConfigKey.Owner.OPERATOR, first.configKey(ProfileBoundCatalog.PROFILE_KEY).orElseThrow().owner());

        plugins.withdraw();
        assertTrue(catalog.factory("agent").isEmpty());
        plugins.factory = new AgentFactory();
        assertNotSame(first, catalog.factory("agent").orElseThrow(), "a new plugin's factory is not the old one");
    }

    @Test
    void aSessionRecoveredFromTheStoreGetsTheSecretAndTheCurrentProfileAgain() {
        Path file = dir.resolve("meerkat.db");
        AgentFactory agent = new AgentFactory();
        SessionConfigPolicy before = policy("/bin/agent-1", false);
        SessionId id;
        try (RuntimeStore store = RuntimeStores.openSqlite(file);
             MeerkatRuntime runtime = runtimeOn(store, new ProfileBoundCatalog(new Plugins(agent), before))) {
            Map<String, String> config = before.resolveForSession(agent, "fast", Map.of("model", "large"));
            id = runtime.createSession(new SessionSpec(null, "agent", config, null)).id();
        }
        assertEquals(Map.of("command", "/bin/agent-1", "token", "s3cret", "model", "large"), agent.created.get(0));

        AgentFactory again = new AgentFactory();
        try (RuntimeStore store = RuntimeStores.openSqlite(file);
             MeerkatRuntime runtime = runtimeOn(store, new ProfileBoundCatalog(new Plugins(again),
                     policy("/bin/agent-2", false)))) {
            assertNull(runtime.session(id).orElseThrow().status().executorUnavailable());
            assertEquals(List.of(Map.of("command", "/bin/agent-2", "token", "s3cret", "model", "large")), again.created);
        }
    }

    private static MeerkatRuntime runtimeOn(RuntimeStore store, ExecutorCatalog catalog) {
        return MeerkatRuntimeBuilder.newBuilder().executorCatalog(catalog)
                .completionRegistry(new InMemoryCompletionRegistry()).store(store).build();
    }
}
