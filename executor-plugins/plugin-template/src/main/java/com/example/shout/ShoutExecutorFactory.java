package com.example.shout;

import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import org.pf4j.Extension;

/**
 * Serves the {@code shout} executor kind. {@code @Extension} is what makes the runtime find it.
 * Sessions created with {@code {"executor":"shout","config":{"suffix":"!"}}} get a {@link ShoutExecutor}.
 */
@Extension
public class ShoutExecutorFactory implements ExecutorFactory {

    @Override
    public String kind() {
        return "shout";
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        // Read and validate the configuration here: an IllegalArgumentException refuses the session.
        String suffix = context.typedConfig().string("suffix", "!");
        if (suffix.length() > 10) {
            throw new IllegalArgumentException("executor 'shout': config 'suffix' is longer than 10 characters");
        }
        return new ShoutExecutor(suffix);
    }
}
