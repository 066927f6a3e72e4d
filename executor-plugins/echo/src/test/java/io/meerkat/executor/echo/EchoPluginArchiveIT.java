package io.meerkat.executor.echo;

import io.meerkat.runtime.testkit.PluginArchiveTest;
import java.nio.file.Path;
import java.util.Map;

/** The packaged echo plugin, loaded the way the runtime loads it. */
class EchoPluginArchiveIT extends PluginArchiveTest {

    @Override
    protected Path archive() {
        return builtArchive(Path.of("target"));
    }

    @Override
    protected String kind() {
        return EchoExecutorFactory.KIND;
    }

    @Override
    protected Map<String, String> completingConfig() {
        return Map.of();
    }
}
