package io.meerkat.runtime.store;

import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.RuntimeStoreProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.sqlite.SQLiteConfig;

/**
 * The {@code sqlite} store: one database file in WAL mode, one writer connection and a few readers.
 *
 * <p>Settings: {@code path} (the database file, required; missing parent folders are created),
 * {@code synchronous} ({@code FULL}, the default, survives a power loss; {@code NORMAL} survives a crash of
 * the process but may lose the last commits on a power loss, and is several times faster for small
 * commits), {@code busyTimeoutMs} (how long a write waits for a lock held by another process before it
 * fails, default 5000), {@code readers} (read connections, default 4).
 */
public final class SqliteStoreProvider implements RuntimeStoreProvider {

    private static final Set<String> SETTINGS = Set.of("path", "synchronous", "busyTimeoutMs", "readers");

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public RuntimeStore open(Map<String, String> settings) {
        return open(settings, UnaryOperator.identity());
    }

    /** Opens the store with its writer connection passed through {@code writerWrapper} (fault-injection tests). */
    JdbcRuntimeStore open(Map<String, String> settings, UnaryOperator<Connection> writerWrapper) {
        return open(settings, writerWrapper, UnaryOperator.identity());
    }

    /** The same, with each read connection passed through {@code readerWrapper} too. */
    JdbcRuntimeStore open(Map<String, String> settings, UnaryOperator<Connection> writerWrapper,
                          UnaryOperator<Connection> readerWrapper) {
        for (String key : settings.keySet()) {
            if (!SETTINGS.contains(key)) {
                throw new IllegalArgumentException("unknown sqlite store setting '" + key + "', known: " + SETTINGS);
            }
        }
        String rawPath = settings.get("path");
        if (rawPath == null || rawPath.isBlank()) {
            throw new IllegalArgumentException("the sqlite store needs the setting 'path' (the database file)");
        }
        Path path = Path.of(rawPath).toAbsolutePath();
        SQLiteConfig.SynchronousMode synchronous = synchronous(settings.getOrDefault("synchronous", "FULL"));
        int busyTimeoutMs = StoreRules.positiveInt(settings, "busyTimeoutMs", 5000);
        int readers = StoreRules.positiveInt(settings, "readers", 4);
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new StoreUnavailableException("sqlite store: cannot create the folder of " + path + ": " + e.getMessage(), e);
        }
        String url = "jdbc:sqlite:" + path;
        // DEFERRED transactions (the driver's default): the driver begins the next transaction as soon as one
        // commits, and an IMMEDIATE one would hold the write lock between commits, locking out other processes.
        SQLiteConfig writer = config(synchronous, busyTimeoutMs);
        SQLiteConfig reader = config(synchronous, busyTimeoutMs);
        return new JdbcRuntimeStore("sqlite", path.toString(), new SqliteDialect(), isWriter -> {
            Connection connection = (isWriter ? writer : reader).createConnection(url);
            connection.setAutoCommit(false);
            return (isWriter ? writerWrapper : readerWrapper).apply(connection);
        }, readers);
    }

    private static SQLiteConfig config(SQLiteConfig.SynchronousMode synchronous, int busyTimeoutMs) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(synchronous);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(busyTimeoutMs);
        return config;
    }

    private static SQLiteConfig.SynchronousMode synchronous(String raw) {
        String value = raw.trim().toUpperCase(Locale.ROOT);
        if (value.equals("FULL") || value.equals("NORMAL")) {
            return SQLiteConfig.SynchronousMode.valueOf(value);
        }
        throw new IllegalArgumentException("sqlite store setting 'synchronous' must be FULL or NORMAL, was '" + raw + "'");
    }
}
