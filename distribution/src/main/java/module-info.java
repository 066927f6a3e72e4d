/**
 * The Meerkat launcher: embedded Apache Felix with a swappable completion registry, PF4J executor
 * plugins, the HTTP API and the {@code meerkat} command line. An application more than a library: it
 * exports the {@code Launcher} and what its methods hand out (configuration, registry front, framework,
 * HTTP server, metrics), for embedders who want the same wiring; the CLI stays inside.
 */
module io.meerkat.distribution {
    requires transitive io.meerkat.runtime.core;
    requires transitive io.meerkat.plugin.host;
    requires io.meerkat.completion;
    requires transitive org.apache.felix.framework;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.proxy;
    requires org.eclipse.jetty.client;
    requires tools.jackson.databind;
    requires info.picocli;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    requires org.slf4j;
    requires java.management;

    exports io.meerkat.distribution;
    exports io.meerkat.distribution.config;
    exports io.meerkat.distribution.registry;
    exports io.meerkat.distribution.osgi;
    exports io.meerkat.distribution.http;
    exports io.meerkat.distribution.metrics;

    uses org.osgi.framework.launch.FrameworkFactory;
    // The runtime store, picked by name (memory, sqlite, postgres): the runtime-store module provides them.
    uses io.meerkat.runtime.api.spi.RuntimeStoreProvider;

    // picocli reads the command classes' annotations and fields; Jackson the request and view records.
    opens io.meerkat.distribution.cli to info.picocli;
    opens io.meerkat.distribution.http to tools.jackson.databind;
}
