package io.meerkat.distribution.config;

import io.meerkat.distribution.store.RuntimeStores;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * This launcher as a node of a cluster: several launchers on one PostgreSQL database ({@code --store postgres}),
 * each session run by one of them at a time. Every setting is optional and only for the {@code postgres}
 * store; {@link LauncherConfig#validate()} refuses them with any other.
 *
 * @param nodeId     the node's name, unique in the cluster ({@code meerkat.cluster.node-id}, {@code --node-id});
 *                   {@code null} derives one ({@link #nodeId(int)})
 * @param advertise  where the other nodes reach this one's HTTP API ({@code meerkat.cluster.advertise},
 *                   {@code --advertise}); {@code null} is the address bound once the server listens, which a
 *                   wildcard bind ({@code 0.0.0.0}, {@code ::}) cannot give
 * @param leaseTtlMs how long a node's lease on a session lasts without renewal, so how soon the others take over
 *                   the sessions of a node that died ({@code meerkat.cluster.lease-ttl-ms}, {@code --lease-ttl-ms});
 *                   {@code null} for the store's default, {@value #DEFAULT_LEASE_TTL_MS}
 */
public record ClusterSettings(String nodeId, URI advertise, Long leaseTtlMs) {

    public static final long DEFAULT_LEASE_TTL_MS = 5_000;
    public static final long MIN_LEASE_TTL_MS = 500;
    public static final long MAX_LEASE_TTL_MS = 3_600_000;
    /** A node id travels in a header ({@code X-Meerkat-Forwarded}) and in log lines: a plain token. */
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** No cluster setting at all. */
    public static final ClusterSettings NONE = new ClusterSettings(null, null, null);

    /** Reads the three keys' raw values ({@code null} when absent). */
    static ClusterSettings parse(String nodeId, String advertise, String leaseTtlMs) {
        return new ClusterSettings(blankToNull(nodeId), advertise(advertise), leaseTtl(leaseTtlMs));
    }

    /** Whether any setting was given: they are refused unless the store is {@code postgres}. */
    public boolean anySet() {
        return nodeId != null || advertise != null || leaseTtlMs != null;
    }

    /** The lease time to live in force: the one configured, else {@value #DEFAULT_LEASE_TTL_MS}. */
    public long effectiveLeaseTtlMs() {
        return leaseTtlMs == null ? DEFAULT_LEASE_TTL_MS : leaseTtlMs;
    }

    /** The advertised address configured, if any. */
    public Optional<URI> configuredAdvertise() {
        return Optional.ofNullable(advertise);
    }

    /**
     * The node id in force: the configured one, else this host's name and the port ({@code web-1-7878}): the
     * same at every restart, and different for two launchers on one host, which cannot share a port. With
     * {@code --port 0} the port is only known once bound, after the runtime joined the cluster, so the name
     * gets a random suffix instead ({@code web-1-3fa9c2d1}), new at each start.
     */
    public String nodeId(int configuredPort) {
        if (nodeId != null) {
            return nodeId;
        }
        String suffix = configuredPort == 0 ? UUID.randomUUID().toString().substring(0, 8) : Integer.toString(configuredPort);
        return hostName() + "-" + suffix;
    }

    /**
     * @throws ConfigException naming the first setting that cannot work
     */
    void validate(String store, String bind) {
        if (nodeId != null && !NODE_ID.matcher(nodeId).matches()) {
            throw new ConfigException(ConfigLoader.CLUSTER_NODE_ID + " (--node-id) must be 1 to 128 letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit; was '" + nodeId + "'");
        }
        if (leaseTtlMs != null && (leaseTtlMs < MIN_LEASE_TTL_MS || leaseTtlMs > MAX_LEASE_TTL_MS)) {
            throw new ConfigException(ConfigLoader.CLUSTER_LEASE_TTL_MS + " (--lease-ttl-ms) must be between "
                    + MIN_LEASE_TTL_MS + " and " + MAX_LEASE_TTL_MS + ", was " + leaseTtlMs);
        }
        if (!store.equals(RuntimeStores.POSTGRES)) {
            if (anySet()) {
                throw new ConfigException("--node-id, --advertise and --lease-ttl-ms (" + ConfigLoader.CLUSTER_PREFIX
                        + "*) are for a cluster of launchers on one database, --store postgres; the " + store
                        + " store belongs to one launcher");
            }
            return;
        }
        if (advertise == null && isWildcard(bind)) {
            throw new ConfigException("bound to " + bind + " (every address), this launcher cannot tell the other nodes "
                    + "where to reach it: pass --advertise http://HOST:PORT (or " + ConfigLoader.CLUSTER_ADVERTISE + ")");
        }
    }

    private static boolean isWildcard(String bind) {
        try {
            return InetAddress.getByName(bind).isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static URI advertise(String value) {
        String text = blankToNull(value);
        if (text == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        } catch (URISyntaxException e) {
            throw invalidAdvertise(text, e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw invalidAdvertise(text, "the scheme must be http or https");
        }
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw invalidAdvertise(text, "it needs a host and a port");
        }
        if (!uri.getRawPath().isEmpty() || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawUserInfo() != null) {
            throw invalidAdvertise(text, "it is only a scheme, a host and a port: the API's paths start at /v1");
        }
        return uri;
    }

    private static ConfigException invalidAdvertise(String text, String why) {
        return new ConfigException(ConfigLoader.CLUSTER_ADVERTISE + " (--advertise) must be http://HOST:PORT, was '"
                + text + "': " + why);
    }

    private static Long leaseTtl(String value) {
        String text = blankToNull(value);
        if (text == null) {
            return null;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ConfigException(ConfigLoader.CLUSTER_LEASE_TTL_MS + " must be an integer, was '" + text + "'", e);
        }
    }

    /** This host's name as a node id may hold it; {@code localhost} when it has none. */
    private static String hostName() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            name = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        String cleaned = name.replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
        return cleaned.isEmpty() ? "localhost" : cleaned.substring(0, Math.min(cleaned.length(), 100));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
