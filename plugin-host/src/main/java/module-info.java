/**
 * The executor plugin host: loads PF4J plugins from a folder and serves their
 * {@link io.meerkat.runtime.api.spi.ExecutorFactory} extensions as an
 * {@link io.meerkat.runtime.api.spi.ExecutorCatalog}. Entry point: {@link io.meerkat.plugin.host.ExecutorPluginHost}.
 */
module io.meerkat.plugin.host {
    requires transitive io.meerkat.runtime.api;
    requires org.slf4j;

    exports io.meerkat.plugin.host;
}
