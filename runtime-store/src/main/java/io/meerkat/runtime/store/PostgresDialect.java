package io.meerkat.runtime.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.UUID;

/**
 * PostgreSQL: UUIDs as {@code uuid}, which the server compares bytewise, so time-ordered ids sort by time.
 * Reads run at {@code REPEATABLE READ}: one snapshot from a transaction's first statement on, which is what
 * {@code load} needs across its two queries.
 */
final class PostgresDialect implements SqlDialect {

    @Override
    public String schemaFolder() {
        return "postgres";
    }

    @Override
    public void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
        statement.setObject(index, value);
    }

    @Override
    public UUID getUuid(ResultSet row, int column) throws SQLException {
        return row.getObject(column, UUID.class);
    }

    /** The bytes the server sent: pgjdbc talks UTF-8 to the server always, so a text value needs no decoding. */
    @Override
    public byte[] getText(ResultSet row, int column) throws SQLException {
        return row.getBytes(column);
    }

    @Override
    public int uuidSqlType() {
        return Types.OTHER;
    }

    /**
     * Switches the connection to read-only {@code REPEATABLE READ} if it is not already; the driver keeps
     * both as connection state, so a pooled reader pays the round trips once.
     */
    /** Any number, the same in every runtime: the key of the advisory lock that the schema's migration takes. */
    private static final long SCHEMA_LOCK = 0x6d65_6572_6b61_7401L;

    /**
     * A session-level advisory lock: held across the migration's transactions, let go by {@link #unlockSchema}
     * or, if the process dies, with its connection.
     */
    @Override
    public void lockSchema(Connection writer) throws SQLException {
        try (PreparedStatement lock = writer.prepareStatement("SELECT pg_advisory_lock(?)")) {
            lock.setLong(1, SCHEMA_LOCK);
            lock.execute();
        }
        writer.commit();
    }

    @Override
    public void unlockSchema(Connection writer) throws SQLException {
        try (PreparedStatement unlock = writer.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            unlock.setLong(1, SCHEMA_LOCK);
            unlock.execute();
        }
        writer.commit();
    }

    @Override
    public void beginSnapshot(Connection reader) throws SQLException {
        if (!reader.isReadOnly()) {
            reader.setReadOnly(true);
            reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        }
    }

    /** The runtime's own tables with their indexes and TOAST, not the whole database (which may be shared). */
    @Override
    public long sizeBytes(Connection reader) throws SQLException {
        try (Statement statement = reader.createStatement();
             ResultSet row = statement.executeQuery("SELECT pg_total_relation_size('sessions')"
                     + " + pg_total_relation_size('inputs') + pg_total_relation_size('receipts')"
                     + " + pg_total_relation_size('outcomes') + pg_total_relation_size('meerkat_schema')")) {
            return row.next() ? row.getLong(1) : -1;
        }
    }
}
