package io.meerkat.distribution.config;

import io.meerkat.distribution.store.RuntimeStores;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the launcher is started with: read from {@code conf/meerkat.properties}, overridden by
 * command-line flags ({@link ConfigLoader}).
 *
 * @param home             the distribution folder; relative paths are resolved against it
 * @param bind             the address the HTTP API binds to
 * @param port             the HTTP port; 0 picks a free one
 * @param pluginsDir       the executor plugins folder
 * @param bundlesDir       the OSGi bundles folder (completion registries)
 * @param dataDir          where the launcher keeps its files
 * @param store            the runtime store: {@code sqlite} (sessions kept in {@code dataDir}, the default),
 *                         {@code postgres} (sessions kept in the database {@code storeServer} names) or
 *                         {@code memory} (sessions end with the process)
 * @param storeServer      the database of the {@code postgres} store
 * @param token            the bearer token every HTTP request must carry, or {@code null} for none; at
 *                         least {@value #MIN_TOKEN_LENGTH} characters
 * @param maxBodyBytes     the largest HTTP request body accepted
 * @param allowedOrigins   browser origins (besides the API's own) whose requests are served; a request
 *                         with any other {@code Origin} header is refused
 * @param httpLimits       connections, body data rate and idle timeout of the HTTP server
 * @param bundleProperties properties handed to the bundles ({@code meerkat.registry.*})
 * @param memory           what the runtime may hold for clients (queued inputs, retained results)
 * @param profiles         the operator's executor profiles ({@code meerkat.profile.*})
 * @param clientOperatorConfig whether API clients may set operator-only executor keys (a program to run,
 *                         an endpoint, a credential's variable): {@code meerkat.unsafe.client-operator-config},
 *                         off unless the operator turns it on, loudly logged
 * @param runs             how long runs may take and how failed ones are retried
 * @param storeSettings    how long the store keeps finished inputs and ended sessions; SQLite's durability
 * @param cluster          this launcher as a node of a cluster on the {@code postgres} store: its id, its
 *                         advertised address, the lease time to live
 */
public record LauncherConfig(Path home, String bind, int port, Path pluginsDir, Path bundlesDir, Path dataDir,
                             String store, StoreServer storeServer, String token, long maxBodyBytes, List<String> allowedOrigins,
                             HttpLimits httpLimits, Map<String, String> bundleProperties, MemoryLimits memory,
                             ExecutorProfiles profiles, boolean clientOperatorConfig, RunLimits runs,
                             StoreSettings storeSettings, ClusterSettings cluster) {

    /** The port the API listens on unless told otherwise. */
    public static final int DEFAULT_PORT = 7878;

    /** The shortest token accepted (DESIGN §11), whatever the bind: a short one is guessed. */
    public static final int MIN_TOKEN_LENGTH = 16;

    public LauncherConfig {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(pluginsDir, "pluginsDir");
        Objects.requireNonNull(bundlesDir, "bundlesDir");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(storeServer, "storeServer");
        Objects.requireNonNull(httpLimits, "httpLimits");
        Objects.requireNonNull(profiles, "profiles");
        Objects.requireNonNull(memory, "memory");
        cluster = cluster == null ? ClusterSettings.NONE : cluster;
        bundleProperties = Map.copyOf(bundleProperties);
        allowedOrigins = List.copyOf(allowedOrigins);
        token = token == null || token.isBlank() ? null : token;
    }

    /**
     * Checks what cannot work, before anything starts.
     *
     * @throws ConfigException with one line saying what is wrong and how to fix it
     */
    public LauncherConfig validate() {
        if (port < 0 || port > 65_535) {
            throw new ConfigException("--port must be between 0 and 65535, was " + port);
        }
        if (maxBodyBytes <= 0) {
            throw new ConfigException("meerkat.http.max-body-bytes must be positive, was " + maxBodyBytes);
        }
        httpLimits.validate();
        memory.validate();
        runs.validate();
        storeSettings.validate();
        if (!RuntimeStores.KINDS.contains(store)) {
            throw new ConfigException("--store " + store + " is not known; use --store sqlite (sessions survive a "
                    + "restart, the default), --store postgres --store-url jdbc:postgresql://HOST:PORT/DATABASE "
                    + "(sessions kept in that database) or --store memory (they end with the process)");
        }
        if (store.equals(RuntimeStores.POSTGRES) && storeServer.url() == null) {
            throw new ConfigException("--store postgres needs the database: --store-url "
                    + "jdbc:postgresql://HOST:PORT/DATABASE (or " + ConfigLoader.STORE_URL + ")");
        }
        if (!store.equals(RuntimeStores.POSTGRES) && storeServer.url() != null) {
            throw new ConfigException("--store-url (" + ConfigLoader.STORE_URL + ") is for --store postgres; the "
                    + store + " store does not use it");
        }
        cluster.validate(store, bind);
        if (token != null && token.length() < MIN_TOKEN_LENGTH) {
            throw new ConfigException("the token (--token, meerkat.token or MEERKAT_TOKEN) has " + token.length()
                    + " character(s); use at least " + MIN_TOKEN_LENGTH + ", e.g. from openssl rand -hex 16");
        }
        if (!isLoopback(bind) && token == null) {
            throw new ConfigException("refusing to bind the HTTP API to " + bind + " without a token: "
                    + "pass --token (or set MEERKAT_TOKEN), or bind to 127.0.0.1");
        }
        return this;
    }

    /** How sessions created over the API get their executor configuration. */
    public SessionConfigPolicy sessionConfigPolicy() {
        return new SessionConfigPolicy(profiles, clientOperatorConfig);
    }

    /** Whether the API is bound to this machine only. */
    public boolean loopbackOnly() {
        return isLoopback(bind);
    }

    /** Whether {@code address} names only this machine. */
    static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ConfigException("--bind " + address + " is not an address of this machine: " + e.getMessage());
        }
    }
}
