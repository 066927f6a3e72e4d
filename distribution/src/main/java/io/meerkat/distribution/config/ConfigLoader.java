package io.meerkat.distribution.config;

import io.meerkat.distribution.store.RuntimeStores;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Builds a {@link LauncherConfig}: built-in defaults, then {@code conf/meerkat.properties} of the
 * distribution (or the file given), then the overrides (command-line flags), later ones winning.
 *
 * <p>Keys: {@code meerkat.bind}, {@code meerkat.port}, {@code meerkat.plugins}, {@code meerkat.bundles},
 * {@code meerkat.data}, {@code meerkat.store}, {@code meerkat.store.url}, {@code meerkat.store.user},
 * {@code meerkat.store.password} ({@link StoreServer}), {@code meerkat.token}, {@code meerkat.http.max-body-bytes},
 * {@code meerkat.http.allowed-origins} (comma separated), {@code meerkat.http.max-connections},
 * {@code meerkat.http.min-request-data-rate}, {@code meerkat.http.idle-timeout-ms},
 * {@code meerkat.http.max-buffered-body-bytes}, {@code meerkat.http.max-event-streams},
 * {@code meerkat.http.max-pending-completions}, {@code meerkat.http.max-buffered-event-bytes} (see {@link HttpLimits}),
 * {@code meerkat.session.max-queued-inputs}, {@code meerkat.session.max-queued-chars},
 * {@code meerkat.runtime.max-queued-chars}, {@code meerkat.results.max-retained-bytes}, {@code meerkat.runtime.max-sessions} ({@link MemoryLimits}),
 * {@code meerkat.runtime.max-run-duration-ms}, {@code meerkat.runtime.retry.max-attempts},
 * {@code meerkat.runtime.retry.initial-backoff-ms}, {@code meerkat.runtime.retry.max-backoff-ms} ({@link RunLimits}),
 * {@code meerkat.store.keep-per-session}, {@code meerkat.store.max-age-ms}, {@code meerkat.store.prune-interval-ms},
 * {@code meerkat.store.sqlite.synchronous} ({@link StoreSettings}), {@code meerkat.cluster.node-id},
 * {@code meerkat.cluster.advertise}, {@code meerkat.cluster.lease-ttl-ms} ({@link ClusterSettings}),
 * {@code meerkat.unsafe.client-operator-config};
 * every {@code meerkat.registry.*} key is handed to the registry bundles; every {@code meerkat.profile.*}
 * key declares an executor profile ({@link ExecutorProfiles}), where {@value #HOME_PLACEHOLDER} stands
 * for the distribution folder. The token may also come from
 * the environment variable {@code MEERKAT_TOKEN}, which keeps it out of the process list, and the store's
 * password from {@code MEERKAT_STORE_PASSWORD}.
 */
public final class ConfigLoader {

    public static final String BIND = "meerkat.bind";
    public static final String PORT = "meerkat.port";
    public static final String PLUGINS = "meerkat.plugins";
    public static final String BUNDLES = "meerkat.bundles";
    public static final String DATA = "meerkat.data";
    public static final String STORE = "meerkat.store";
    public static final String STORE_URL = "meerkat.store.url";
    public static final String STORE_USER = "meerkat.store.user";
    public static final String STORE_PASSWORD = "meerkat.store.password";
    public static final String TOKEN = "meerkat.token";
    public static final String MAX_BODY_BYTES = "meerkat.http.max-body-bytes";
    public static final String ALLOWED_ORIGINS = "meerkat.http.allowed-origins";
    public static final String MAX_CONNECTIONS = "meerkat.http.max-connections";
    public static final String MIN_REQUEST_DATA_RATE = "meerkat.http.min-request-data-rate";
    public static final String IDLE_TIMEOUT_MS = "meerkat.http.idle-timeout-ms";
    public static final String MAX_BUFFERED_BODY_BYTES = "meerkat.http.max-buffered-body-bytes";
    public static final String MAX_EVENT_STREAMS = "meerkat.http.max-event-streams";
    public static final String MAX_PENDING_COMPLETIONS = "meerkat.http.max-pending-completions";
    public static final String MAX_BUFFERED_EVENT_BYTES = "meerkat.http.max-buffered-event-bytes";
    public static final String CLIENT_OPERATOR_CONFIG = "meerkat.unsafe.client-operator-config";
    public static final String MAX_QUEUED_INPUTS = "meerkat.session.max-queued-inputs";
    public static final String MAX_QUEUED_CHARS_PER_SESSION = "meerkat.session.max-queued-chars";
    public static final String MAX_QUEUED_CHARS_RUNTIME = "meerkat.runtime.max-queued-chars";
    public static final String MAX_RETAINED_RESULT_BYTES = "meerkat.results.max-retained-bytes";
    public static final String MAX_SESSIONS = "meerkat.runtime.max-sessions";
    public static final String MAX_RUN_DURATION_MS = "meerkat.runtime.max-run-duration-ms";
    public static final String RETRY_MAX_ATTEMPTS = "meerkat.runtime.retry.max-attempts";
    public static final String RETRY_INITIAL_BACKOFF_MS = "meerkat.runtime.retry.initial-backoff-ms";
    public static final String RETRY_MAX_BACKOFF_MS = "meerkat.runtime.retry.max-backoff-ms";
    public static final String STORE_KEEP_PER_SESSION = "meerkat.store.keep-per-session";
    public static final String STORE_MAX_AGE_MS = "meerkat.store.max-age-ms";
    public static final String STORE_PRUNE_INTERVAL_MS = "meerkat.store.prune-interval-ms";
    public static final String STORE_SQLITE_SYNCHRONOUS = "meerkat.store.sqlite.synchronous";
    public static final String CLUSTER_PREFIX = "meerkat.cluster.";
    public static final String CLUSTER_NODE_ID = CLUSTER_PREFIX + "node-id";
    public static final String CLUSTER_ADVERTISE = CLUSTER_PREFIX + "advertise";
    public static final String CLUSTER_LEASE_TTL_MS = CLUSTER_PREFIX + "lease-ttl-ms";
    public static final String TOKEN_ENVIRONMENT_VARIABLE = "MEERKAT_TOKEN";
    public static final String STORE_PASSWORD_ENVIRONMENT_VARIABLE = "MEERKAT_STORE_PASSWORD";
    /** Stands for the distribution folder in profile values, e.g. {@code ${meerkat.home}/examples/echo-agent.sh}. */
    public static final String HOME_PLACEHOLDER = "${meerkat.home}";

    private static final String BUNDLE_PROPERTY_PREFIX = "meerkat.registry.";

    private ConfigLoader() {
    }

    /**
     * @param home        the distribution folder
     * @param configFile  the properties file, or {@code null} for {@code home/conf/meerkat.properties}
     *                    (which may be missing)
     * @param overrides   values from the command line, by key
     * @param environment the process environment (for {@value #TOKEN_ENVIRONMENT_VARIABLE} and
     *                    {@value #STORE_PASSWORD_ENVIRONMENT_VARIABLE})
     */
    public static LauncherConfig load(Path home, Path configFile, Map<String, String> overrides,
                                      Map<String, String> environment) {
        Map<String, String> values = new HashMap<>();
        values.put(BIND, "127.0.0.1");
        values.put(PORT, Integer.toString(LauncherConfig.DEFAULT_PORT));
        values.put(PLUGINS, "plugins");
        values.put(BUNDLES, "bundles");
        values.put(DATA, "data");
        values.put(STORE, RuntimeStores.SQLITE);
        values.put(MAX_BODY_BYTES, Long.toString(1L << 20));
        values.put(MAX_CONNECTIONS, Integer.toString(HttpLimits.DEFAULT_MAX_CONNECTIONS));
        values.put(MIN_REQUEST_DATA_RATE, Long.toString(HttpLimits.DEFAULT_MIN_REQUEST_DATA_RATE));
        values.put(IDLE_TIMEOUT_MS, Long.toString(HttpLimits.DEFAULT_IDLE_TIMEOUT_MS));
        values.put(MAX_BUFFERED_BODY_BYTES, Long.toString(HttpLimits.defaultMaxBufferedBodyBytes()));
        values.put(MAX_EVENT_STREAMS, Integer.toString(HttpLimits.DEFAULT_MAX_EVENT_STREAMS));
        values.put(MAX_PENDING_COMPLETIONS, Integer.toString(HttpLimits.DEFAULT_MAX_PENDING_COMPLETIONS));
        values.put(MAX_BUFFERED_EVENT_BYTES, Long.toString(HttpLimits.defaultMaxBufferedEventBytes()));
        values.put(CLIENT_OPERATOR_CONFIG, "false");
        values.put(MAX_QUEUED_INPUTS, Integer.toString(MeerkatRuntimeBuilder.DEFAULT_MAX_QUEUED_INPUTS));
        values.put(MAX_QUEUED_CHARS_PER_SESSION, Long.toString(MeerkatRuntimeBuilder.DEFAULT_MAX_QUEUED_CHARS_PER_SESSION));
        values.put(MAX_QUEUED_CHARS_RUNTIME, Long.toString(MeerkatRuntimeBuilder.defaultMaxQueuedCharsRuntime()));
        values.put(MAX_RETAINED_RESULT_BYTES, Long.toString(MemoryLimits.defaultMaxRetainedResultBytes()));
        values.put(MAX_SESSIONS, Integer.toString(MemoryLimits.DEFAULT_MAX_SESSIONS));
        RetryPolicy retry = RetryPolicy.defaults();
        values.put(MAX_RUN_DURATION_MS, Long.toString(RunLimits.DEFAULT_MAX_RUN_DURATION_MS));
        values.put(RETRY_MAX_ATTEMPTS, Integer.toString(retry.maxAttempts()));
        values.put(RETRY_INITIAL_BACKOFF_MS, Long.toString(retry.initialBackoff().toMillis()));
        values.put(RETRY_MAX_BACKOFF_MS, Long.toString(retry.maxBackoff().toMillis()));
        values.put(STORE_KEEP_PER_SESSION, Integer.toString(StoreSettings.DEFAULT_KEEP_PER_SESSION));
        values.put(STORE_MAX_AGE_MS, Long.toString(StoreSettings.DEFAULT_MAX_AGE_MS));
        values.put(STORE_PRUNE_INTERVAL_MS, Long.toString(StoreSettings.DEFAULT_PRUNE_INTERVAL_MS));
        values.put(STORE_SQLITE_SYNCHRONOUS, StoreSettings.DEFAULT_SQLITE_SYNCHRONOUS);
        Path file = configFile != null ? configFile : home.resolve("conf").resolve("meerkat.properties");
        if (configFile != null || Files.exists(file)) {
            values.putAll(read(file));
        }
        String environmentToken = environment.get(TOKEN_ENVIRONMENT_VARIABLE);
        if (environmentToken != null && !environmentToken.isBlank()) {
            values.put(TOKEN, environmentToken);
        }
        String environmentStorePassword = environment.get(STORE_PASSWORD_ENVIRONMENT_VARIABLE);
        if (environmentStorePassword != null && !environmentStorePassword.isBlank()) {
            values.put(STORE_PASSWORD, environmentStorePassword);
        }
        overrides.forEach((key, value) -> {
            if (value != null) {
                values.put(key, value);
            }
        });

        Map<String, String> bundleProperties = new HashMap<>();
        values.forEach((key, value) -> {
            if (key.startsWith(BUNDLE_PROPERTY_PREFIX)) {
                bundleProperties.put(key, value);
            }
        });
        return new LauncherConfig(home, values.get(BIND).trim(), intValue(values, PORT),
                path(home, values.get(PLUGINS)), path(home, values.get(BUNDLES)), path(home, values.get(DATA)),
                values.get(STORE).trim(), new StoreServer(values.get(STORE_URL), values.get(STORE_USER),
                values.get(STORE_PASSWORD)), values.get(TOKEN), longValue(values, MAX_BODY_BYTES),
                list(values.get(ALLOWED_ORIGINS)), new HttpLimits(intValue(values, MAX_CONNECTIONS),
                longValue(values, MIN_REQUEST_DATA_RATE), longValue(values, IDLE_TIMEOUT_MS),
                longValue(values, MAX_BUFFERED_BODY_BYTES), intValue(values, MAX_EVENT_STREAMS),
                intValue(values, MAX_PENDING_COMPLETIONS), longValue(values, MAX_BUFFERED_EVENT_BYTES)), bundleProperties,
                new MemoryLimits(intValue(values, MAX_QUEUED_INPUTS), longValue(values, MAX_QUEUED_CHARS_PER_SESSION),
                        longValue(values, MAX_QUEUED_CHARS_RUNTIME), longValue(values, MAX_RETAINED_RESULT_BYTES),
                        intValue(values, MAX_SESSIONS)),
                profiles(home, values), booleanValue(values, CLIENT_OPERATOR_CONFIG),
                new RunLimits(longValue(values, MAX_RUN_DURATION_MS), intValue(values, RETRY_MAX_ATTEMPTS),
                        longValue(values, RETRY_INITIAL_BACKOFF_MS), longValue(values, RETRY_MAX_BACKOFF_MS)),
                new StoreSettings(intValue(values, STORE_KEEP_PER_SESSION), longValue(values, STORE_MAX_AGE_MS),
                        longValue(values, STORE_PRUNE_INTERVAL_MS), values.get(STORE_SQLITE_SYNCHRONOUS)),
                ClusterSettings.parse(values.get(CLUSTER_NODE_ID), values.get(CLUSTER_ADVERTISE),
                        values.get(CLUSTER_LEASE_TTL_MS)));
    }

    private static ExecutorProfiles profiles(Path home, Map<String, String> values) {
        Map<String, String> profileValues = new HashMap<>();
        values.forEach((key, value) -> {
            if (key.startsWith(ExecutorProfiles.PREFIX)) {
                profileValues.put(key, value.replace(HOME_PLACEHOLDER, home.toString()));
            }
        });
        return ExecutorProfiles.from(profileValues);
    }

    private static Map<String, String> read(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read the configuration file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> values = new HashMap<>();
        for (String key : properties.stringPropertyNames()) {
            values.put(key, properties.getProperty(key).trim());
        }
        return values;
    }

    private static List<String> list(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList();
    }

    private static Path path(Path home, String value) {
        return home.resolve(value.trim()).normalize();
    }

    private static int intValue(Map<String, String> values, String key) {
        try {
            return Integer.parseInt(values.get(key).trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be an integer, was '" + values.get(key) + "'", e);
        }
    }

    private static boolean booleanValue(Map<String, String> values, String key) {
        return switch (values.get(key).trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigException(key + " must be true or false, was '" + values.get(key) + "'");
        };
    }

    private static long longValue(Map<String, String> values, String key) {
        try {
            return Long.parseLong(values.get(key).trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be an integer, was '" + values.get(key) + "'", e);
        }
    }
}
