package com.example.shout;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.List;
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

    /**
     * Every key {@link #create} reads, and who may set it: a client creating a session (CLIENT), or only
     * the operator in a profile (OPERATOR: anything that decides what runs on the host or where
     * credentials go). The runtime refuses any other key.
     */
    @Override
    public List<ConfigKey> configKeys() {
        return List.of(ConfigKey.client("suffix", "appended to the reply, at most 10 characters"));
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        // Read and validate the configuration here: an IllegalArgumentException refuses the session.
        String suffix = context.typedConfig().string("suffix", "!");
        if (suffix.length() > 10) {
            throw new IllegalArgumentException("executor 'shout': config 'suffix' is longer than 10 characters");
        }
        // context.progress() is where a run's progress and output go: keep it for apply().
        return new ShoutExecutor(suffix, context.progress());
    }
}
