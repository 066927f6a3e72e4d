package io.meerkat.executor.process;

import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.testkit.ExecutorConformanceTest;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/** The process executor, running the example agent program, against the SPI contract. */
class ProcessExecutorConformanceTest extends ExecutorConformanceTest {

    @BeforeAll
    static void posixOnly() {
        EchoAgent.requirePosix();
    }

    @Override
    protected ExecutorFactory factory() {
        return new ProcessExecutorFactory();
    }

    @Override
    protected Map<String, String> completingConfig() {
        return EchoAgent.config("echo");
    }

    @Override
    protected Map<String, String> slowConfig() {
        return EchoAgent.config("sleep");
    }

    @Override
    protected Map<String, String> failingConfig() {
        return EchoAgent.config("crash");
    }

    @Override
    protected Map<String, String> invalidConfig() {
        return EchoAgent.config("echo", "timeoutMs", "-1");
    }
}
