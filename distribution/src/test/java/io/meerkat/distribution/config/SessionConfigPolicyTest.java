package io.meerkat.distribution.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may set which executor key: the operator's profiles, then the client's client-settable keys. */
class SessionConfigPolicyTest {

    /** Reads a program (operator), an env family (operator) and a model (client). */
    private static final ExecutorFactory AGENT = new ExecutorFactory() {
        @Override
        public String kind() {
            return "agent";
        }

        @Override
        public List<ConfigKey> configKeys() {
            return List.of(ConfigKey.operator("command", "the program"), ConfigKey.operator("env.", "variables"),
                    ConfigKey.client("model", "the model"));
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            throw new UnsupportedOperationException();
        }
    };

    private static final ExecutorProfiles PROFILES = ExecutorProfiles.from(Map.of(
            "meerkat.profile.agent.default.command", "/bin/default-agent",
            "meerkat.profile.agent.fast.command", "/bin/fast-agent",
            "meerkat.profile.agent.fast.model", "small",
            "meerkat.profile.agent.fast.env.MODE", "quick",
            "meerkat.bind", "127.0.0.1"));

    private final SessionConfigPolicy policy = new SessionConfigPolicy(PROFILES, false);

    @Test
    void aClientGetsTheDefaultProfileWhenItNamesNone() {
        assertEquals(Map.of("command", "/bin/default-agent"), policy.resolve(AGENT, null, Map.of()));
    }

    @Test
    void aClientKeyOverridesTheProfilesValue() {
        assertEquals(Map.of("command", "/bin/fast-agent", "model", "large", "env.MODE", "quick"),
                policy.resolve(AGENT, "fast", Map.of("model", "large")));
    }

    @Test
    void anOperatorKeyFromAClientIsRefusedWithTheProfilesToPickFrom() {
        for (String key : List.of("command", "env.LD_PRELOAD")) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> policy.resolve(AGENT, "fast", Map.of(key, "/tmp/evil")));
            assertEquals("executor 'agent': config '" + key + "' is set by the operator, in a profile; pick one with "
                    + "\"profile\": [default, fast]; keys a client may set: [model]", refused.getMessage());
        }
    }

    @Test
    void anUnknownKeyOrProfileIsRefused() {
        assertEquals("executor 'agent': unknown config key 'modle'; keys a client may set: [model]",
                assertThrows(IllegalArgumentException.class,
                        () -> policy.resolve(AGENT, null, Map.of("modle", "x"))).getMessage());
        assertEquals("executor 'agent' has no profile 'slow'; pick one with \"profile\": [default, fast]",
                assertThrows(IllegalArgumentException.class,
                        () -> policy.resolve(AGENT, "slow", Map.of())).getMessage());
    }

    @Test
    void anExecutorWithOperatorKeysNeverRunsOnItsBuiltInDefaults() {
        SessionConfigPolicy withoutDefault = new SessionConfigPolicy(ExecutorProfiles.from(Map.of(
                "meerkat.profile.agent.fast.command", "/bin/fast-agent")), false);
        assertEquals("executor 'agent' runs only with a profile the operator declared; pick one with \"profile\": "
                + "[fast]", assertThrows(IllegalArgumentException.class,
                        () -> withoutDefault.resolve(AGENT, null, Map.of("model", "m"))).getMessage());
        assertEquals(Map.of("command", "/bin/fast-agent", "model", "m"),
                withoutDefault.resolve(AGENT, "fast", Map.of("model", "m")));
    }

    @Test
    void anExecutorWithOnlyClientKeysNeedsNoProfile() {
        ExecutorFactory echoLike = new ExecutorFactory() {
            @Override
            public String kind() {
                return "echoish";
            }

            @Override
            public List<ConfigKey> configKeys() {
                return List.of(ConfigKey.client("delayMs", "delay"));
            }

            @Override
            public CoreExecutor create(ExecutorContext context) {
                throw new UnsupportedOperationException();
            }
        };
        assertEquals(Map.of("delayMs", "5"), policy.resolve(echoLike, null, Map.of("delayMs", "5")));
    }

    @Test
    void theUnsafeSettingLetsAClientSetOperatorKeys() {
        SessionConfigPolicy unsafe = new SessionConfigPolicy(ExecutorProfiles.none(), true);
        assertEquals(Map.of("command", "/bin/mine"), unsafe.resolve(AGENT, null, Map.of("command", "/bin/mine")));
        assertThrows(IllegalArgumentException.class, () -> unsafe.resolve(AGENT, null, Map.of("modle", "x")),
                "unknown keys stay refused");
    }

    @Test
    void profilesAreCheckedAgainstTheExecutorsKeysAtStart() {
        ExecutorProfiles misspelt = ExecutorProfiles.from(Map.of("meerkat.profile.agent.p.comand", "/bin/a",
                "meerkat.profile.gone.p.x", "1"));
        ConfigException refused = assertThrows(ConfigException.class,
                () -> new SessionConfigPolicy(misspelt, false).check(catalogOf(AGENT)));
        assertEquals("meerkat.profile.agent.p.comand: executor 'agent' has no config key 'comand'; its keys: "
                + "[command, env., model]", refused.getMessage());

        List<String> warnings = new SessionConfigPolicy(ExecutorProfiles.from(Map.of("meerkat.profile.gone.p.x", "1")),
                false).check(catalogOf(AGENT));
        assertEquals(List.of("profiles [p] are for executor 'gone', which no plugin provides"), warnings);
    }

    @Test
    void aProfileSettingThatDoesNotReadAsKindProfileAndKeyIsRefused() {
        ConfigException refused = assertThrows(ConfigException.class,
                () -> ExecutorProfiles.from(Map.of("meerkat.profile.agent.command", "/bin/a")));
        assertTrue(refused.getMessage().startsWith("cannot read the profile setting 'meerkat.profile.agent.command'"),
                refused.getMessage());
    }

    @Test
    void theHomePlaceholderStandsForTheDistributionFolder(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/meerkat.properties"),
                "meerkat.profile.process.demo.command=${meerkat.home}/examples/agent.sh\n");
        LauncherConfig config = ConfigLoader.load(home, null, Map.of(), Map.of());
        assertEquals(Optional.of(Map.of("command", home + "/examples/agent.sh")),
                config.profiles().profile("process", "demo"));
        assertEquals(false, config.clientOperatorConfig(), "off unless the operator turns it on");
    }

    private static ExecutorCatalog catalogOf(ExecutorFactory factory) {
        return new ExecutorCatalog() {
            @Override
            public Optional<ExecutorFactory> factory(String kind) {
                return kind.equals(factory.kind()) ? Optional.of(factory) : Optional.empty();
            }

            @Override
            public Set<String> kinds() {
                return Set.of(factory.kind());
            }

            @Override
            public void addWithdrawalListener(WithdrawalListener listener) {
            }
        };
    }
}
