package io.meerkat.runtime.store;

import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.store.testpg.TestPostgres;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The postgres store against the store contract, on a real PostgreSQL ({@link TestPostgres}): each test's
 * folder gets its own new database, and reopening on the same folder opens the same database.
 */
class PostgresStoreConformanceTest extends RuntimeStoreConformanceTest {

    private static final Map<Path, String> DATABASES = new ConcurrentHashMap<>();

    @Override
    protected RuntimeStore openStore(Path folder) {
        String url = DATABASES.computeIfAbsent(folder, ignored -> TestPostgres.shared().newDatabase());
        return new PostgresStoreProvider().open(Map.of("url", url));
    }
}
