package io.meerkat.runtime.store;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.UUID;

/**
 * SQLite: UUIDs as 16-byte blobs, big-endian, so a time-ordered id sorts by time under SQLite's
 * {@code memcmp} order. A read transaction in WAL mode already sees one snapshot from its first read.
 */
final class SqliteDialect implements SqlDialect {

    @Override
    public String schemaFolder() {
        return "sqlite";
    }

    /** SQLite keeps text as UTF-8 (the database's encoding here) and hands those bytes to {@code getBytes}. */
    @Override
    public byte[] getText(ResultSet row, int column) throws SQLException {
        return row.getBytes(column);
    }

    @Override
    public void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
        statement.setBytes(index, ByteBuffer.allocate(16)
                .putLong(value.getMostSignificantBits()).putLong(value.getLeastSignificantBits()).array());
    }

    @Override
    public UUID getUuid(ResultSet row, int column) throws SQLException {
        byte[] bytes = row.getBytes(column);
        if (bytes == null) {
            return null;
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new UUID(buffer.getLong(), buffer.getLong());
    }

    @Override
    public int uuidSqlType() {
        return Types.BLOB;
    }

    @Override
    public long sizeBytes(Connection reader) throws SQLException {
        try (Statement statement = reader.createStatement();
             ResultSet row = statement.executeQuery(
                     "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")) {
            return row.next() ? row.getLong(1) : -1;
        }
    }
}
