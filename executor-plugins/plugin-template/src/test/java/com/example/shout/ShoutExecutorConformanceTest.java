package com.example.shout;

import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.testkit.ExecutorConformanceTest;
import java.util.Map;

/**
 * The executor against the SPI contract. The shout executor has no slow or failing mode of its own,
 * so this test wraps it: a real executor would use its own configuration for those.
 */
class ShoutExecutorConformanceTest extends ExecutorConformanceTest {

    @Override
    protected ExecutorFactory factory() {
        return new SlowOrFailingShout(new ShoutExecutorFactory());
    }

    @Override
    protected Map<String, String> completingConfig() {
        return Map.of();
    }

    @Override
    protected Map<String, String> slowConfig() {
        return Map.of(SlowOrFailingShout.MODE, "slow");
    }

    @Override
    protected Map<String, String> failingConfig() {
        return Map.of(SlowOrFailingShout.MODE, "fail");
    }

    @Override
    protected Map<String, String> invalidConfig() {
        return Map.of("suffix", "far too long a suffix");
    }
}
