package io.meerkat.executor.openai;

import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.testkit.ExecutorConformanceTest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The openai executor against the SPI contract, streaming from a local scripted server. */
class OpenAiExecutorConformanceTest extends ExecutorConformanceTest {

    private static ScriptedServer server;

    @BeforeAll
    static void startServer() {
        server = ScriptedServer.start()
                .route("/fast/", Scripts.reply("Hel", "lo"))
                .route("/slow/", Scripts.Stall.afterDeltas("still", " thinking"))
                .route("/fail/", Scripts.status(500, Map.of(), "{\"error\":{\"message\":\"boom\"}}"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected ExecutorFactory factory() {
        return new OpenAiExecutorFactory(name -> name.equals("OPENAI_API_KEY") ? "sk-conformance" : null);
    }

    private static Map<String, String> at(String prefix, String readTimeoutMs) {
        return Map.of("baseUrl", server.url(prefix + "v1"), "model", Scripts.MODEL, "readTimeoutMs", readTimeoutMs);
    }

    @Override
    protected Map<String, String> completingConfig() {
        return at("/fast/", "10000");
    }

    @Override
    protected Map<String, String> slowConfig() {
        return at("/slow/", "600000");
    }

    @Override
    protected Map<String, String> failingConfig() {
        return at("/fail/", "10000");
    }

    @Override
    protected Map<String, String> invalidConfig() {
        return at("/fast/", "0");
    }
}
