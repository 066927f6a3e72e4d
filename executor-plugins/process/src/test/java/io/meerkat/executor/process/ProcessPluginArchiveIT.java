package io.meerkat.executor.process;

import io.meerkat.runtime.testkit.PluginArchiveTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/** The packaged (shaded) process plugin, loaded the way the runtime loads it, running the example agent. */
class ProcessPluginArchiveIT extends PluginArchiveTest {

    @BeforeAll
    static void posixOnly() {
        EchoAgent.requirePosix();
    }

    @Override
    protected Path archive() {
        return builtArchive(Path.of("target"));
    }

    @Override
    protected String kind() {
        return ProcessExecutorFactory.KIND;
    }

    @Override
    protected Map<String, String> completingConfig() {
        return EchoAgent.config("echo");
    }
}
