/**
 * The {@link io.meerkat.runtime.api.spi.RuntimeStoreProvider}s {@code memory}, {@code sqlite} and {@code postgres}, found by
 * {@link java.util.ServiceLoader}. Nothing is exported: a runtime picks a store by its provider's name.
 */
module io.meerkat.runtime.store {
    requires io.meerkat.runtime.api;
    requires java.sql;
    requires org.slf4j;
    requires tools.jackson.databind;
    requires org.xerial.sqlitejdbc;
    requires org.postgresql.jdbc;
    requires com.zaxxer.hikari;

    provides io.meerkat.runtime.api.spi.RuntimeStoreProvider
            with io.meerkat.runtime.store.MemoryStoreProvider, io.meerkat.runtime.store.SqliteStoreProvider,
                    io.meerkat.runtime.store.PostgresStoreProvider;
}
