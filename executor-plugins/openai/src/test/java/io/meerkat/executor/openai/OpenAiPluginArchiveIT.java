package io.meerkat.executor.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.plugin.host.ExecutorPluginHost;
import io.meerkat.plugin.host.PluginStatus;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.testkit.PluginArchiveTest;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged openai plugin, loaded the way the runtime loads it, streaming from a local scripted
 * server; also unloaded after a run was cancelled in the middle of its stream, and checked for what
 * the archive must and must not contain.
 */
class OpenAiPluginArchiveIT extends PluginArchiveTest {

    private static ScriptedServer server;
    private static final Scripts.Stall STALL = Scripts.Stall.afterDeltas("half an ans");

    @BeforeAll
    static void startServer() {
        server = ScriptedServer.start()
                .route("/fast/", Scripts.reply("archived ", "hello"))
                .route("/slow/", STALL);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected Path archive() {
        return builtArchive(Path.of("target"));
    }

    @Override
    protected String kind() {
        return OpenAiExecutorFactory.KIND;
    }

    @Override
    protected Map<String, String> completingConfig() {
        return Map.of("baseUrl", server.url("/fast/v1"), "model", Scripts.MODEL, "apiKeyRequired", "false");
    }

    @Test
    void unloadingAfterARunWasCancelledMidStreamReleasesThePluginsClassLoader() throws Exception {
        try (ExecutorPluginHost host = ExecutorPluginHost.start(install());
             MeerkatRuntime runtime = runtimeOn(host)) {
            WeakReference<ClassLoader> loader = new WeakReference<>(
                    host.factory(kind()).orElseThrow().getClass().getClassLoader());
            SessionHandle session = runtime.createSession(SessionSpec.of(kind()).withConfig(
                    Map.of("baseUrl", server.url("/slow/v1"), "model", Scripts.MODEL, "apiKeyRequired", "false")));
            Submission stalled = session.submit(Input.prompt("take your time"));
            STALL.reached.get(10, TimeUnit.SECONDS);
            session.control(new RunControlCommand.CancelCurrentRun("kit cancel"));
            assertInstanceOf(CompletionOutcome.Abandoned.class, stalled.completion().get(10, TimeUnit.SECONDS));
            STALL.clientGone.get(10, TimeUnit.SECONDS);

            assertEquals(PluginStatus.UNLOADED, host.unloadPlugin(onlyPlugin(host).pluginId(), "kit unload").status());
            assertCollected(loader);
        }
    }

    @Test
    void theArchiveShadesJacksonAndLeavesTheHostsClassesOut() throws IOException {
        try (JarFile jar = new JarFile(archive().toFile())) {
            List<String> names = jar.stream().map(ZipEntry::getName).toList();
            for (String foreign : List.of("io/meerkat/runtime/", "org/pf4j/", "org/slf4j/", "tools/jackson/",
                    "com/fasterxml/")) {
                assertTrue(names.stream().noneMatch(name -> name.startsWith(foreign)), "the archive holds " + foreign);
            }
            assertTrue(names.contains("io/meerkat/executor/openai/shaded/jackson/databind/ObjectMapper.class"),
                    "Jackson is relocated under the plugin's package");
            assertTrue(names.contains("META-INF/extensions.idx"), "the extension index is packed");
            assertEquals("io.meerkat.executor.openai.OpenAiPlugin",
                    jar.getManifest().getMainAttributes().getValue("Plugin-Class"));
        }
    }
}
