package io.meerkat.runtime.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * What differs between the databases {@link JdbcRuntimeStore} runs on; everything else (the upserts with
 * {@code ON CONFLICT}, the window function of pruning, partial indexes) is SQL both SQLite and PostgreSQL
 * accept as written.
 */
interface SqlDialect {

    /** The folder of the numbered schema scripts, e.g. {@code sqlite}, under {@code io/meerkat/runtime/store/schema/}. */
    String schemaFolder();

    /** Binds a UUID (SQLite: 16 bytes, in the order that keeps time-ordered ids ordered; PostgreSQL: {@code uuid}). */
    void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException;

    UUID getUuid(ResultSet row, int column) throws SQLException;

    /**
     * A text column's value as bytes in a Unicode encoding JSON allows (UTF-8, UTF-16 or UTF-32: the JSON
     * reader detects which), {@code null} for SQL NULL. The default goes through a String; a driver that
     * hands the stored bytes directly saves decoding and copying every JSON column a load reads.
     */
    default byte[] getText(ResultSet row, int column) throws SQLException {
        String text = row.getString(column);
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }

    /** The JDBC type of a null UUID. */
    int uuidSqlType();

    /**
     * Keeps other runtimes opening the same database from migrating its schema at the same time, until
     * {@link #unlockSchema}; they wait here. SQLite needs nothing: one launcher per file (its data folder's
     * lock), and its own write lock serialises writers.
     */
    default void lockSchema(Connection writer) throws SQLException {
    }

    /** Ends {@link #lockSchema}. */
    default void unlockSchema(Connection writer) throws SQLException {
    }

    /** Makes the transaction just begun on a read connection see one snapshot across its statements. */
    default void beginSnapshot(Connection reader) throws SQLException {
    }

    /** The size of the database on disk, in bytes, -1 if unknown. */
    long sizeBytes(Connection reader) throws SQLException;
}
