package com.example.shout;

import io.meerkat.runtime.testkit.PluginArchiveTest;
import java.nio.file.Path;
import java.util.Map;

/** The packaged jar, loaded the way the runtime loads it from its plugins folder. */
class ShoutPluginArchiveIT extends PluginArchiveTest {

    @Override
    protected Path archive() {
        return builtArchive(Path.of("target"));
    }

    @Override
    protected String kind() {
        return "shout";
    }

    @Override
    protected Map<String, String> completingConfig() {
        return Map.of("suffix", "!!");
    }
}
