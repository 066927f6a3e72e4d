package io.meerkat.runtime.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.RuntimeStoreProvider;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code postgres} store: the schema of the {@code sqlite} store in a PostgreSQL database, reached
 * through a HikariCP pool. Commits run one at a time on one pooled connection (the runtime's group commit
 * already drains into one writer); reads take further pooled connections and run in their own snapshot.
 *
 * <p>Settings: {@code url} ({@code jdbc:postgresql://host:port/database}, required; may carry
 * {@code user} and {@code password} parameters), {@code user} and {@code password} (override the URL's),
 * {@code readers} (read connections, default 4; the pool holds one more for the writer),
 * {@code connectTimeoutMs} (how long opening or borrowing a connection may take before the store is
 * unavailable, default 5000), {@code socketTimeoutMs} (how long one call may wait for the server's answer before
 * its connection is dropped and the call fails, default 30000: a server frozen or cut off must not hang a
 * commit, and with it every caller waiting for the group, for ever), {@code leaseTtlMs} (how long a runtime's
 * lease on a session lasts without renewal, default 5000: several runtimes share a postgres store as a cluster,
 * see {@link io.meerkat.runtime.api.spi.ClusterStore}). A connection the server drops fails the one call that used it, whole, and
 * is replaced by a new one for the next. The password never appears in a message or a log line: the location the
 * store reports is the URL without it.
 */
public final class PostgresStoreProvider implements RuntimeStoreProvider {

    private static final Set<String> SETTINGS = Set.of("url", "user", "password", "readers", "connectTimeoutMs", "socketTimeoutMs",
            "leaseTtlMs");
    /** A {@code password=} parameter of a JDBC URL, up to the next separator. */
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)([?&;]password=)[^&;]*");

    /** How long a node's hold on a session lasts without renewal, unless {@code leaseTtlMs} says otherwise. */
    public static final int DEFAULT_LEASE_TTL_MS = 5_000;

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public RuntimeStore open(Map<String, String> settings) {
        for (String key : settings.keySet()) {
            if (!SETTINGS.contains(key)) {
                throw new IllegalArgumentException("unknown postgres store setting '" + key + "', known: " + SETTINGS);
            }
        }
        String url = settings.get("url");
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the postgres store needs the setting 'url' (jdbc:postgresql://host:port/database)");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("postgres store setting 'url' must start with jdbc:postgresql:, was '"
                    + redact(url) + "'");
        }
        int readers = StoreRules.positiveInt(settings, "readers", 4);
        int connectTimeoutMs = StoreRules.positiveInt(settings, "connectTimeoutMs", 5000);
        int socketTimeoutMs = StoreRules.positiveInt(settings, "socketTimeoutMs", 30_000);
        int leaseTtlMs = StoreRules.positiveInt(settings, "leaseTtlMs", DEFAULT_LEASE_TTL_MS);
        String location = redact(url);

        HikariConfig config = new HikariConfig();
        config.setPoolName("meerkat-store");
        config.setJdbcUrl(url);
        if (settings.get("user") != null) {
            config.setUsername(settings.get("user"));
        }
        if (settings.get("password") != null) {
            config.setPassword(settings.get("password"));
        }
        config.setAutoCommit(false);
        // Readers, the writer, and the connection of lease renewals and claims (PostgresLeases).
        config.setMaximumPoolSize(readers + 2);
        // No idle connection kept in the pool: the store holds its writer and idle readers itself, and a
        // connection the pool kept idle would be handed out unchecked for 500 ms after its creation (Hikari's
        // alive-bypass window), dead if the server dropped it meanwhile.
        config.setMinimumIdle(0);
        // Hikari's floor is 250 ms; below it the setting is refused.
        config.setConnectionTimeout(Math.max(250, connectTimeoutMs));
        // The server must not wait for a lost client forever, nor the client for a dead server's handshake.
        // As text: with a JDBC URL Hikari hands these to the driver as java.util.Properties, whose
        // getProperty ignores any value that is not a String (a number here was silently no timeout).
        config.addDataSourceProperty("connectTimeout", String.valueOf(Math.max(1, connectTimeoutMs / 1000)));
        config.addDataSourceProperty("tcpKeepAlive", "true");
        // In whole seconds, the driver's unit: at least one.
        config.addDataSourceProperty("socketTimeout", String.valueOf(Math.max(1, (socketTimeoutMs + 999) / 1000)));
        config.addDataSourceProperty("ApplicationName", "meerkat");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreUnavailableException("postgres store at " + location + " cannot be opened: " + e.getMessage(), e);
        }
        try {
            JdbcRuntimeStore store = new JdbcRuntimeStore("postgres", location, new PostgresDialect(), new JdbcRuntimeStore.Connections() {
                @Override
                public Connection open(boolean writer) throws SQLException {
                    Connection connection = pool.getConnection();
                    try (Statement limit = connection.createStatement()) {
                        // A writing connection (commits, and the leases' renewals and claims) holds row locks for
                        // the length of its transaction: a node frozen (SIGSTOP, a long pause) in the middle of one
                        // would keep other nodes from claiming its sessions for as long as it stays frozen. The
                        // server ends such a transaction once it has been idle this long (the node's late commit
                        // then fails, nothing written). A pooled connection is set each time it is taken:
                        // reads (a load pausing between fetches while its caller decodes) are never limited.
                        limit.execute("SET idle_in_transaction_session_timeout = "
                                + (writer ? idleInTransactionMs(leaseTtlMs) : 0));
                        connection.commit();
                    } catch (SQLException e) {
                        connection.close();
                        throw e;
                    }
                    return connection;
                }

                @Override
                public void close() {
                    pool.close();
                }
            }, readers);
            store.shareWithLeases(Duration.ofMillis(leaseTtlMs));
            return store;
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * How long a writing connection may sit idle inside a transaction before the server ends it: a lease's
     * time to live, at least a second (a commit is never idle that long between its own statements).
     */
    static int idleInTransactionMs(int leaseTtlMs) {
        return Math.max(1_000, leaseTtlMs);
    }

    /** The URL as it may be shown: without a password, whether as a parameter or in {@code user:password@}. */
    static String redact(String url) {
        String withoutParameter = PASSWORD_PARAMETER.matcher(url).replaceAll("$1***");
        return withoutParameter.replaceFirst("//([^/@:]*):[^/@]*@", "//$1:***@");
    }
}
