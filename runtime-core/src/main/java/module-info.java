module io.meerkat.runtime.core {
    requires transitive io.meerkat.runtime.api;
    requires org.slf4j;
    uses io.meerkat.runtime.api.spi.CompletionRegistry;
    exports io.meerkat.runtime.core;
}
