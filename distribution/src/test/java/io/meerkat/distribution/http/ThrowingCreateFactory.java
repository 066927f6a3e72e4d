package io.meerkat.distribution.http;

import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.Objects;

/**
 * An executor factory with the bug a plugin author makes first: {@code create} dereferences a setting
 * that is not there. Packed into a plugin jar by {@link ExecutorFailureTest}, loaded by PF4J.
 */
public final class ThrowingCreateFactory implements ExecutorFactory {

    @Override
    public String kind() {
        return "npe";
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        String model = context.config().get("model");
        Objects.requireNonNull(model, "model");
        throw new AssertionError("not reached: the test sends no model");
    }
}
