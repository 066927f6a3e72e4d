package io.meerkat.runtime.store;

import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.RuntimeStoreProvider;
import java.util.Map;

/** The {@code memory} store: kept in the heap, gone with the process. Takes no settings. */
public final class MemoryStoreProvider implements RuntimeStoreProvider {

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public RuntimeStore open(Map<String, String> settings) {
        return new MemoryRuntimeStore();
    }
}
