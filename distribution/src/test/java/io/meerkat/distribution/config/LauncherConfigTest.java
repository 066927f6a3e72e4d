package io.meerkat.distribution.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LauncherConfigTest {

    @TempDir
    Path home;

    @Test
    void defaultsBindToLoopbackWithoutAToken() {
        LauncherConfig config = ConfigLoader.load(home, null, Map.of(), Map.of()).validate();
        assertEquals("127.0.0.1", config.bind());
        assertEquals(LauncherConfig.DEFAULT_PORT, config.port());
        assertEquals(home.resolve("plugins"), config.pluginsDir());
        assertEquals(home.resolve("bundles"), config.bundlesDir());
        assertNull(config.token());
    }

    @Test
    void flagsOverrideTheFileWhichOverridesTheDefaults() throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/meerkat.properties"),
                "meerkat.port=9000\nmeerkat.plugins=/opt/plugins\nmeerkat.registry.history.capacity=5\n");
        Map<String, String> flags = new HashMap<>();
        flags.put(ConfigLoader.PORT, "9100");
        flags.put(ConfigLoader.BIND, null);

        LauncherConfig config = ConfigLoader.load(home, null, flags, Map.of());

        assertEquals(9100, config.port());
        assertEquals(Path.of("/opt/plugins"), config.pluginsDir());
        assertEquals("127.0.0.1", config.bind(), "an absent flag keeps the file's or the default value");
        assertEquals(Map.of("meerkat.registry.history.capacity", "5"), config.bundleProperties());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "192.0.2.10"})
    void aNonLoopbackBindWithoutATokenIsRefusedWithAClearMessage(String address) {
        LauncherConfig config = ConfigLoader.load(home, null, Map.of(ConfigLoader.BIND, address), Map.of());

        ConfigException error = assertThrows(ConfigException.class, config::validate);

        assertTrue(error.getMessage().contains("refusing to bind") && error.getMessage().contains("--token"),
                error.getMessage());
    }

    @Test
    void aNonLoopbackBindWithATokenFromTheEnvironmentIsAllowed() {
        LauncherConfig config = ConfigLoader.load(home, null, Map.of(ConfigLoader.BIND, "0.0.0.0"),
                Map.of(ConfigLoader.TOKEN_ENVIRONMENT_VARIABLE, "s3cret-s3cret-s3cret")).validate();
        assertEquals("s3cret-s3cret-s3cret", config.token());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "0.0.0.0"})
    void aTokenShorterThan16CharactersIsRefusedWhateverTheBind(String address) {
        LauncherConfig config = ConfigLoader.load(home, null, Map.of(ConfigLoader.BIND, address),
                Map.of(ConfigLoader.TOKEN_ENVIRONMENT_VARIABLE, "x"));

        ConfigException error = assertThrows(ConfigException.class, config::validate);

        assertEquals("the token (--token, meerkat.token or MEERKAT_TOKEN) has 1 character(s); use at least 16, "
                + "e.g. from openssl rand -hex 16", error.getMessage());
        assertEquals("0123456789abcdef", ConfigLoader.load(home, null, Map.of(ConfigLoader.BIND, address),
                Map.of(ConfigLoader.TOKEN_ENVIRONMENT_VARIABLE, "0123456789abcdef")).validate().token());
    }

    @Test
    void runLimitsDefaultToAnHourAndThreeAttemptsAndAreCheckedByKey() {
        RunLimits defaults = ConfigLoader.load(home, null, Map.of(), Map.of()).validate().runs();
        assertEquals(new RunLimits(3_600_000, 3, 200, 30_000), defaults);
        assertEquals(java.time.Duration.ofMillis(400), defaults.retryPolicy().backoffAfter(2, 0.5));

        RunLimits custom = ConfigLoader.load(home, null, Map.of(ConfigLoader.RETRY_MAX_ATTEMPTS, "1",
                ConfigLoader.MAX_RUN_DURATION_MS, "5000"), Map.of()).validate().runs();
        assertEquals(1, custom.retryPolicy().maxAttempts());
        assertEquals(java.time.Duration.ofSeconds(5), custom.maxRunDuration());

        for (Map.Entry<String, String> bad : Map.of(ConfigLoader.MAX_RUN_DURATION_MS, "0",
                ConfigLoader.RETRY_MAX_ATTEMPTS, "0", ConfigLoader.RETRY_MAX_BACKOFF_MS, "100").entrySet()) {
            LauncherConfig config = ConfigLoader.load(home, null, Map.of(bad.getKey(), bad.getValue()), Map.of());
            ConfigException error = assertThrows(ConfigException.class, config::validate, bad.toString());
            assertTrue(error.getMessage().contains(bad.getKey()), error.getMessage());
        }
    }

    @Test
    void storeSettingsDefaultToTheRuntimesRetentionAndFullSyncAndAreCheckedByKey() {
        StoreSettings defaults = ConfigLoader.load(home, null, Map.of(), Map.of()).validate().storeSettings();
        assertEquals(new StoreSettings(10_000, 604_800_000, 600_000, "FULL"), defaults);

        StoreSettings custom = ConfigLoader.load(home, null, Map.of(ConfigLoader.STORE_KEEP_PER_SESSION, "5",
                ConfigLoader.STORE_MAX_AGE_MS, "0", ConfigLoader.STORE_PRUNE_INTERVAL_MS, "1000",
                ConfigLoader.STORE_SQLITE_SYNCHRONOUS, "normal"), Map.of()).validate().storeSettings();
        assertEquals(new StoreSettings(5, 0, 1_000, "NORMAL"), custom);
        assertEquals(java.time.Duration.ofSeconds(1), custom.pruneInterval());

        for (Map.Entry<String, String> bad : Map.of(ConfigLoader.STORE_KEEP_PER_SESSION, "0",
                ConfigLoader.STORE_MAX_AGE_MS, "-1", ConfigLoader.STORE_PRUNE_INTERVAL_MS, "0",
                ConfigLoader.STORE_SQLITE_SYNCHRONOUS, "OFF").entrySet()) {
            LauncherConfig config = ConfigLoader.load(home, null, Map.of(bad.getKey(), bad.getValue()), Map.of());
            ConfigException error = assertThrows(ConfigException.class, config::validate, bad.toString());
            assertTrue(error.getMessage().contains(bad.getKey()), error.getMessage());
        }
    }

    @Test
    void httpLimitsDefaultAndAreCheckedByKey() {
        HttpLimits defaults = ConfigLoader.load(home, null, Map.of(), Map.of()).validate().httpLimits();
        assertEquals(new HttpLimits(1_000, 1_024, 30_000, HttpLimits.defaultMaxBufferedBodyBytes(), 256, 512,
                HttpLimits.defaultMaxBufferedEventBytes()), defaults);

        LauncherConfig noConnections = ConfigLoader.load(home, null, Map.of(ConfigLoader.MAX_CONNECTIONS, "0"), Map.of());
        ConfigException error = assertThrows(ConfigException.class, noConnections::validate);
        assertTrue(error.getMessage().startsWith("meerkat.http.max-connections "), error.getMessage());
        ConfigException notANumber = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(home, null, Map.of(ConfigLoader.IDLE_TIMEOUT_MS, "soon"), Map.of()));
        assertTrue(notANumber.getMessage().startsWith("meerkat.http.idle-timeout-ms "), notANumber.getMessage());
    }

    @Test
    void longLivedRequestCapsStayBelowTheConnectionLimit() {
        LauncherConfig streams = ConfigLoader.load(home, null, Map.of(ConfigLoader.MAX_CONNECTIONS, "20"), Map.of());
        ConfigException error = assertThrows(ConfigException.class, streams::validate);
        assertEquals("meerkat.http.max-event-streams must be at least 1 and below meerkat.http.max-connections (20), "
                + "was 256", error.getMessage());
        LauncherConfig completions = ConfigLoader.load(home, null, Map.of(ConfigLoader.MAX_CONNECTIONS, "20",
                ConfigLoader.MAX_EVENT_STREAMS, "10", ConfigLoader.MAX_PENDING_COMPLETIONS, "20"), Map.of());
        error = assertThrows(ConfigException.class, completions::validate);
        assertTrue(error.getMessage().startsWith("meerkat.http.max-pending-completions "), error.getMessage());
        LauncherConfig budget = ConfigLoader.load(home, null, Map.of(ConfigLoader.MAX_BUFFERED_BODY_BYTES, "0"), Map.of());
        error = assertThrows(ConfigException.class, budget::validate);
        assertTrue(error.getMessage().startsWith("meerkat.http.max-buffered-body-bytes "), error.getMessage());
        LauncherConfig events = ConfigLoader.load(home, null, Map.of(ConfigLoader.MAX_BUFFERED_EVENT_BYTES, "0"), Map.of());
        error = assertThrows(ConfigException.class, events::validate);
        assertEquals("meerkat.http.max-buffered-event-bytes must be positive, was 0", error.getMessage());
        HttpLimits small = ConfigLoader.load(home, null, Map.of(ConfigLoader.MAX_CONNECTIONS, "20",
                ConfigLoader.MAX_EVENT_STREAMS, "5", ConfigLoader.MAX_PENDING_COMPLETIONS, "6",
                ConfigLoader.MAX_BUFFERED_BODY_BYTES, "1000", ConfigLoader.MAX_BUFFERED_EVENT_BYTES, "2000"), Map.of())
                .validate().httpLimits();
        assertEquals(new HttpLimits(20, 1_024, 30_000, 1_000, 5, 6, 2_000), small);
    }

    @Test
    void badValuesNameTheKey() {
        ConfigException port = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(home, null, Map.of(ConfigLoader.PORT, "http"), Map.of()));
        assertTrue(port.getMessage().contains("meerkat.port"), port.getMessage());

        LauncherConfig store = ConfigLoader.load(home, null, Map.of(ConfigLoader.STORE, "mysql"), Map.of());
        ConfigException unavailable = assertThrows(ConfigException.class, store::validate);
        assertTrue(unavailable.getMessage().contains("--store mysql is not known")
                && unavailable.getMessage().contains("--store postgres --store-url"), unavailable.getMessage());

        ConfigException missing = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(home, home.resolve("nope.properties"), Map.of(), Map.of()));
        assertTrue(missing.getMessage().contains("nope.properties"), missing.getMessage());
    }

    @Test
    void theStoreIsSqliteInTheDataFolderUnlessToldOtherwise() throws IOException {
        LauncherConfig defaults = ConfigLoader.load(home, null, Map.of(), Map.of()).validate();
        assertEquals("sqlite", defaults.store());
        assertEquals(home.resolve("data"), defaults.dataDir());

        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/meerkat.properties"), "meerkat.store=memory\nmeerkat.data=/var/meerkat\n");
        LauncherConfig fromFile = ConfigLoader.load(home, null, Map.of(), Map.of()).validate();
        assertEquals("memory", fromFile.store());
        assertEquals(Path.of("/var/meerkat"), fromFile.dataDir());

        LauncherConfig flags = ConfigLoader.load(home, null, Map.of(ConfigLoader.STORE, "sqlite",
                ConfigLoader.DATA, "elsewhere"), Map.of()).validate();
        assertEquals("sqlite", flags.store());
        assertEquals(home.resolve("elsewhere"), flags.dataDir());
    }

    @Test
    void thePostgresStoreTakesItsUrlAndUserFromTheFileAndItsPasswordFromTheEnvironmentWhichNoStringShows()
            throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/meerkat.properties"), "meerkat.store=postgres\n"
                + "meerkat.store.url=jdbc:postgresql://127.0.0.1:5432/meerkat\nmeerkat.store.user=meerkat\n"
                + "meerkat.store.password=from-the-file\n");
        LauncherConfig fromFile = ConfigLoader.load(home, null, Map.of(), Map.of()).validate();
        assertEquals(new StoreServer("jdbc:postgresql://127.0.0.1:5432/meerkat", "meerkat", "from-the-file"),
                fromFile.storeServer());

        LauncherConfig withEnvironment = ConfigLoader.load(home, null,
                Map.of(ConfigLoader.STORE_URL, "jdbc:postgresql://db:5432/other?password=in-the-url"),
                Map.of(ConfigLoader.STORE_PASSWORD_ENVIRONMENT_VARIABLE, "from-the-environment")).validate();
        assertEquals(Map.of("url", "jdbc:postgresql://db:5432/other?password=in-the-url", "user", "meerkat",
                "password", "from-the-environment"), withEnvironment.storeServer().providerSettings());
        String shown = withEnvironment.toString();
        assertFalse(shown.contains("from-the-environment") || shown.contains("in-the-url"), shown);
        assertTrue(shown.contains("jdbc:postgresql://db:5432/other?password=***"), shown);
        assertEquals("jdbc:postgresql://meerkat:***@db/x", StoreServer.redact("jdbc:postgresql://meerkat:pw@db/x"));
    }

    @Test
    void aPostgresStoreWithoutAUrlOrAUrlForAnotherStoreIsRefused() {
        ConfigException noUrl = assertThrows(ConfigException.class, () -> ConfigLoader.load(home, null,
                Map.of(ConfigLoader.STORE, "postgres"), Map.of()).validate());
        assertEquals("--store postgres needs the database: --store-url jdbc:postgresql://HOST:PORT/DATABASE "
                + "(or meerkat.store.url)", noUrl.getMessage());

        ConfigException stray = assertThrows(ConfigException.class, () -> ConfigLoader.load(home, null,
                Map.of(ConfigLoader.STORE_URL, "jdbc:postgresql://db/meerkat"), Map.of()).validate());
        assertEquals("--store-url (meerkat.store.url) is for --store postgres; the sqlite store does not use it",
                stray.getMessage());
    }

    @Test
    void clusterSettingsAreForThePostgresStoreOnlyAndDefaultToAHostAndPortNodeIdAndA5SecondLease() {
        Map<String, String> postgres = Map.of(ConfigLoader.STORE, "postgres",
                ConfigLoader.STORE_URL, "jdbc:postgresql://db/meerkat", ConfigLoader.PORT, "7900");
        LauncherConfig defaults = ConfigLoader.load(home, null, postgres, Map.of()).validate();
        assertEquals(ClusterSettings.NONE, defaults.cluster());
        assertEquals(5_000, defaults.cluster().effectiveLeaseTtlMs());
        assertTrue(defaults.cluster().nodeId(7900).endsWith("-7900"), defaults.cluster().nodeId(7900));
        assertTrue(defaults.cluster().nodeId(0).matches("[A-Za-z0-9][A-Za-z0-9._-]*-[0-9a-f]{8}"),
                "with --port 0 a random suffix: " + defaults.cluster().nodeId(0));

        Map<String, String> set = new HashMap<>(postgres);
        set.put(ConfigLoader.CLUSTER_NODE_ID, "node-a");
        set.put(ConfigLoader.CLUSTER_ADVERTISE, "http://10.0.0.5:7900/");
        set.put(ConfigLoader.CLUSTER_LEASE_TTL_MS, "2000");
        ClusterSettings cluster = ConfigLoader.load(home, null, set, Map.of()).validate().cluster();
        assertEquals("node-a", cluster.nodeId(7900));
        assertEquals(java.net.URI.create("http://10.0.0.5:7900"), cluster.advertise());
        assertEquals(2_000, cluster.effectiveLeaseTtlMs());

        for (String key : new String[] {ConfigLoader.CLUSTER_NODE_ID, ConfigLoader.CLUSTER_ADVERTISE,
                ConfigLoader.CLUSTER_LEASE_TTL_MS}) {
            String value = key.equals(ConfigLoader.CLUSTER_ADVERTISE) ? "http://127.0.0.1:7900"
                    : key.equals(ConfigLoader.CLUSTER_LEASE_TTL_MS) ? "2000" : "node-a";
            ConfigException refused = assertThrows(ConfigException.class, () ->
                    ConfigLoader.load(home, null, Map.of(key, value), Map.of()).validate());
            assertTrue(refused.getMessage().contains("--store postgres")
                    && refused.getMessage().contains("the sqlite store belongs to one launcher"), refused.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"meerkat.cluster.node-id=-starts-with-a-dash", "meerkat.cluster.node-id=has space",
            "meerkat.cluster.advertise=ftp://h:1", "meerkat.cluster.advertise=http://h", "meerkat.cluster.advertise=http://h:1/v1",
            "meerkat.cluster.lease-ttl-ms=100", "meerkat.cluster.lease-ttl-ms=soon", "meerkat.bind=0.0.0.0"})
    void badClusterSettingsNameTheirKeyAndAWildcardBindNeedsAnAdvertisedAddress(String setting) {
        Map<String, String> values = new HashMap<>(Map.of(ConfigLoader.STORE, "postgres",
                ConfigLoader.STORE_URL, "jdbc:postgresql://db/meerkat", ConfigLoader.TOKEN, "a-token-of-16-chars!"));
        String[] keyValue = setting.split("=", 2);
        values.put(keyValue[0], keyValue[1]);

        ConfigException error = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(home, null, values, Map.of()).validate());

        String expected = keyValue[0].equals(ConfigLoader.BIND) ? "--advertise" : keyValue[0];
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }

    @Test
    void memoryBoundsComeFromTheFileAndMustBePositive() throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/meerkat.properties"), "meerkat.session.max-queued-inputs=7\n"
                + "meerkat.session.max-queued-chars=700\nmeerkat.runtime.max-queued-chars=7000\n"
                + "meerkat.results.max-retained-bytes=70000\n");

        LauncherConfig config = ConfigLoader.load(home, null, Map.of(), Map.of()).validate();

        assertEquals(new MemoryLimits(7, 700, 7000, 70000, MemoryLimits.DEFAULT_MAX_SESSIONS), config.memory());
        ConfigException refused = assertThrows(ConfigException.class, () -> ConfigLoader.load(home, null,
                Map.of(ConfigLoader.MAX_QUEUED_INPUTS, "0"), Map.of()).validate());
        assertTrue(refused.getMessage().contains("meerkat.session.max-queued-inputs"), refused.getMessage());
    }

    @Test
    void withoutSettingsTheMemoryBoundsFollowTheHeap() {
        MemoryLimits memory = ConfigLoader.load(home, null, Map.of(), Map.of()).memory();
        assertEquals(10_000, memory.maxQueuedInputs());
        assertEquals(Math.max(1L << 20, Runtime.getRuntime().maxMemory() / 8), memory.maxQueuedCharsRuntime());
        assertEquals(Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8), memory.maxRetainedResultBytes());
    }
}
