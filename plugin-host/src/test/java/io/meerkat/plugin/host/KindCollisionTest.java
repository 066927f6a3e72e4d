package io.meerkat.plugin.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.UnknownExecutorException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A kind declared by two plugins is served by neither: no plugin silently takes a kind from another. */
class KindCollisionTest {

    @TempDir
    Path plugins;

    @Test
    void pluginsStartingTogetherWithTheSameKindBothFailNamingEachOther() throws Exception {
        Fixtures.plugin("echo", "echo").writeTo(plugins);
        Fixtures.plugin("aa-third-party", "echo").writeTo(plugins);
        Fixtures.plugin("good", "good").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = ExecutorPluginHostTest.runtimeOn(host)) {
            assertEquals(new PluginReport("echo", "1.0.0", plugins.resolve("echo.jar"), PluginStatus.FAILED, Set.of(),
                    "executor kind 'echo' is also declared by plugin 'aa-third-party'; a kind is served by one"
                            + " plugin only: remove one or list it in disabled.txt"), host.plugin("echo").orElseThrow());
            assertEquals(new PluginReport("aa-third-party", "1.0.0", plugins.resolve("aa-third-party.jar"),
                    PluginStatus.FAILED, Set.of(), "executor kind 'echo' is also declared by plugin 'echo'; a kind"
                    + " is served by one plugin only: remove one or list it in disabled.txt"),
                    host.plugin("aa-third-party").orElseThrow());
            assertEquals(Set.of("good"), runtime.executorKinds());
            assertThrows(UnknownExecutorException.class, () -> runtime.createSession(SessionSpec.of("echo")));
            assertEquals("good:fine", ExecutorPluginHostTest.reply(runtime.createSession(SessionSpec.of("good")), "fine"));
        }
    }

    @Test
    void theOperatorPicksByDisablingOneAndStartingItLaterFailsWhileTheOtherServes() throws Exception {
        Fixtures.plugin("echo", "echo").writeTo(plugins);
        Fixtures.plugin("aa-third-party", "echo").writeTo(plugins);
        Files.writeString(plugins.resolve("disabled.txt"), "aa-third-party\n");
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = ExecutorPluginHostTest.runtimeOn(host)) {
            assertEquals(Set.of("echo"), host.plugin("echo").orElseThrow().executorKinds());
            assertEquals("echo:shipped", ExecutorPluginHostTest.reply(runtime.createSession(SessionSpec.of("echo")), "shipped"));

            PluginReport late = host.startPlugin("aa-third-party");
            assertEquals(PluginStatus.FAILED, late.status());
            assertEquals("executor kind 'echo' is already served by plugin 'echo'", late.reason());
            assertEquals(PluginStatus.STARTED, host.plugin("echo").orElseThrow().status());
            assertEquals("echo:still", ExecutorPluginHostTest.reply(runtime.createSession(SessionSpec.of("echo")), "still"));
        }
    }

    @Test
    void aLibraryPluginOthersDependOnMayServeNoKind() throws Exception {
        Fixtures.plugin("library", "unused").withoutExtensionIndex().writeTo(plugins);
        Fixtures.plugin("addon", "addon").manifest("Plugin-Dependencies", "library").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0")) {
            assertEquals(PluginStatus.STARTED, host.plugin("library").orElseThrow().status());
            assertEquals(Set.of("addon"), host.kinds());
        }
    }
}
