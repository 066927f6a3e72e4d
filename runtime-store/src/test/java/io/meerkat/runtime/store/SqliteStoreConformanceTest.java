package io.meerkat.runtime.store;

import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import java.nio.file.Path;
import java.util.Map;

/** The sqlite store against the store contract, on a database file in the test's folder. */
class SqliteStoreConformanceTest extends RuntimeStoreConformanceTest {

    @Override
    protected RuntimeStore openStore(Path folder) {
        return new SqliteStoreProvider().open(Map.of("path", folder.resolve("data/store.db").toString()));
    }
}
