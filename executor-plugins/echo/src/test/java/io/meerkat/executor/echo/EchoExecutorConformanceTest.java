package io.meerkat.executor.echo;

import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.testkit.ExecutorConformanceTest;
import java.util.Map;

/** The echo executor against the SPI contract. */
class EchoExecutorConformanceTest extends ExecutorConformanceTest {

    @Override
    protected ExecutorFactory factory() {
        return new EchoExecutorFactory();
    }

    @Override
    protected Map<String, String> completingConfig() {
        return Map.of("delayMs", "5");
    }

    @Override
    protected Map<String, String> slowConfig() {
        return Map.of("delayMs", "600000");
    }

    @Override
    protected Map<String, String> failingConfig() {
        return Map.of("failureRate", "1");
    }

    @Override
    protected Map<String, String> invalidConfig() {
        return Map.of("delayMs", "-1");
    }
}
