package io.meerkat.runtime.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a database to the newest schema this module knows: the numbered scripts
 * {@code schema/<dialect>/V<n>__<name>.sql} listed in {@link #SCRIPTS}, each applied once, in its own
 * transaction with the row recording it in {@code meerkat_schema}, so a crash mid-way leaves the previous
 * version whole. A database newer than this module is refused rather than written with an older schema.
 * The scripts follow Flyway's naming, so Flyway could take over the same files.
 */
final class SchemaMigrator {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);

    /** Every script, oldest first; version n is the n-th. Append only. */
    static final List<String> SCRIPTS = List.of("V1__runtime_store.sql", "V2__instants_as_numbers.sql",
            "V3__session_leases.sql");

    private SchemaMigrator() {
    }

    /** The newest version this module knows. */
    static int latestVersion() {
        return SCRIPTS.size();
    }

    /**
     * Migrates the database behind {@code connection} (autocommit off) and returns its version.
     *
     * @throws IllegalStateException if the database holds a newer schema than this module knows
     */
    static int migrate(Connection connection, SqlDialect dialect) throws SQLException {
        // Another runtime may be opening the same database (several launchers on one PostgreSQL): the first
        // migrates, the others wait here and then find the schema current.
        dialect.lockSchema(connection);
        int version;
        try {
            version = migrateLocked(connection, dialect);
        } catch (SQLException | RuntimeException e) {
            try {
                dialect.unlockSchema(connection);
            } catch (SQLException | RuntimeException unlocking) {
                // The connection is likely gone with the lock; the migration's failure is what to report.
                e.addSuppressed(unlocking);
            }
            throw e;
        }
        dialect.unlockSchema(connection);
        return version;
    }

    private static int migrateLocked(Connection connection, SqlDialect dialect) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS meerkat_schema ("
                    + "version INTEGER NOT NULL PRIMARY KEY, script TEXT NOT NULL, applied_at TEXT NOT NULL)");
            connection.commit();
            int current = version(connection);
            if (current > latestVersion()) {
                throw new IllegalStateException("the store's schema is version " + current
                        + ", newer than this runtime knows (" + latestVersion() + "): use a newer runtime");
            }
            for (int version = current + 1; version <= latestVersion(); version++) {
                String script = SCRIPTS.get(version - 1);
                for (String sql : statements(read(dialect.schemaFolder() + "/" + script))) {
                    statement.execute(sql);
                }
                statement.execute("INSERT INTO meerkat_schema (version, script, applied_at) VALUES ("
                        + version + ", '" + script + "', '" + java.time.Instant.now() + "')");
                connection.commit();
                LOG.info("store schema migrated to version {} ({})", version, script);
            }
            return latestVersion();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }

    /** The version recorded in {@code meerkat_schema}, 0 for none. */
    static int version(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT COALESCE(MAX(version), 0) FROM meerkat_schema")) {
            row.next();
            return row.getInt(1);
        }
    }

    private static String read(String path) {
        try (InputStream in = SchemaMigrator.class.getResourceAsStream("schema/" + path)) {
            if (in == null) {
                throw new IllegalStateException("schema script " + path + " is missing from the module");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema script " + path, e);
        }
    }

    /** The statements of a script: separated by a ';' ending a line; lines starting with "--" are comments. */
    static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                statements.add(current.substring(0, current.lastIndexOf(";")));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString());
        }
        return statements;
    }
}
