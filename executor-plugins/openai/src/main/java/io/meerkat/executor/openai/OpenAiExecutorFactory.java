package io.meerkat.executor.openai;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.pf4j.Extension;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Provides the {@code openai} kind: executors that stream an OpenAI-compatible
 * {@code /chat/completions} endpoint (see {@link OpenAiSettings} for the configuration). Its
 * executors share one HTTP client and one timer thread; {@link #close()} aborts every request still
 * in flight and releases both, so the plugin's class loader can be collected once it is unloaded.
 */
@Extension
public final class OpenAiExecutorFactory implements ExecutorFactory, AutoCloseable {

    public static final String KIND = "openai";

    private final Function<String, String> environment;
    private final ChatTransport transport = new ChatTransport();
    /** Built on first use: Jackson's few hundred classes would otherwise load at every plugin start. */
    private volatile ObjectMapper json;

    /** The factory PF4J creates: API keys come from the process environment. */
    public OpenAiExecutorFactory() {
        this(System::getenv);
    }

    /** A factory that looks environment variables up in {@code environment} (tests). */
    OpenAiExecutorFactory(Function<String, String> environment) {
        this.environment = Objects.requireNonNull(environment, "environment");
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return OpenAiSettings.KEYS;
    }

    /** @throws IllegalArgumentException if the configuration is invalid or the required API key is missing */
    @Override
    public CoreExecutor create(ExecutorContext context) {
        return new OpenAiExecutor(OpenAiSettings.from(context.typedConfig(), environment), transport, json(),
                context.progress());
    }

    private ObjectMapper json() {
        ObjectMapper mapper = json;
        if (mapper == null) {
            synchronized (this) {
                mapper = json;
                if (mapper == null) {
                    // Buffers are not recycled through thread locals: the HTTP client's threads outlive the plugin.
                    mapper = JsonMapper.builder(
                            JsonFactory.builder().recyclerPool(JsonRecyclerPools.nonRecyclingPool()).build()).build();
                    json = mapper;
                }
            }
        }
        return mapper;
    }

    /** Calls whose HTTP exchange is still open (for tests). */
    int callsInFlight() {
        return transport.inFlight();
    }

    @Override
    public void close() {
        transport.close();
    }
}
