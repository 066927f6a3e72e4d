package io.meerkat.runtime.store;

import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import java.nio.file.Path;
import java.util.Map;

/** The memory store against the store contract. */
class MemoryStoreConformanceTest extends RuntimeStoreConformanceTest {

    @Override
    protected RuntimeStore openStore(Path folder) {
        return new MemoryStoreProvider().open(Map.of());
    }

    @Override
    protected boolean survivesReopen() {
        return false;
    }
}
