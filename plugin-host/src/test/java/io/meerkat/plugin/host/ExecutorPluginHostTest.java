package io.meerkat.plugin.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.UnknownExecutorException;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading plugins, serving their kinds to a runtime, stopping and starting them. */
class ExecutorPluginHostTest {

    @TempDir
    Path plugins;

    @BeforeEach
    void clearJournal() {
        Journal.clear();
    }

    static MeerkatRuntime runtimeOn(ExecutorPluginHost host) {
        return MeerkatRuntimeBuilder.newBuilder()
                .executorCatalog(host)
                .completionRegistry(new InMemoryCompletionRegistry())
                .build();
    }

    static String reply(SessionHandle session, String text) throws Exception {
        CompletionOutcome outcome = session.submit(Input.prompt(text)).completion().get(10, TimeUnit.SECONDS);
        RunResult result = assertInstanceOf(CompletionOutcome.Completed.class, outcome).result();
        return result.text();
    }

    @Test
    void servesTheKindsOfEveryPluginAndTheRuntimeRunsThem() throws Exception {
        Fixtures.plugin("alpha", "a").writeTo(plugins);
        Fixtures.plugin("beta", "b").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = runtimeOn(host)) {
            assertEquals(List.of(
                    new PluginReport("alpha", "1.0.0", plugins.resolve("alpha.jar"), PluginStatus.STARTED, Set.of("a"), ""),
                    new PluginReport("beta", "1.0.0", plugins.resolve("beta.jar"), PluginStatus.STARTED, Set.of("b"), "")),
                    host.plugins());
            assertEquals(Set.of("a", "b"), runtime.executorKinds());
            assertEquals("a:hi", reply(runtime.createSession(SessionSpec.of("a")), "hi"));
            assertEquals("b:ho", reply(runtime.createSession(SessionSpec.of("b")), "ho"));
        }
    }

    @Test
    void aMissingOrEmptyFolderMeansNoPlugins() {
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins.resolve("absent"), "0.1.0")) {
            assertEquals(List.of(), host.plugins());
            assertEquals(Set.of(), host.kinds());
        }
    }

    @Test
    void stoppingAPluginStopsItsSessionsWithTheReasonBeforeThePluginStops() throws Exception {
        Fixtures.plugin("alpha", "a").writeTo(plugins);
        Fixtures.plugin("beta", "b").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = runtimeOn(host)) {
            SessionHandle held = runtime.createSession(SessionSpec.of("a").withConfig(Map.of("hold", "true")));
            SessionHandle other = runtime.createSession(SessionSpec.of("b"));
            Submission waiting = held.submit(Input.prompt("never answered"));

            PluginReport stopped = host.stopPlugin("alpha", "maintenance");

            assertEquals(PluginStatus.STOPPED, stopped.status());
            assertEquals("maintenance", stopped.reason());
            assertEquals(Set.of("b"), host.kinds());
            assertEquals(RuntimeState.STOPPED, held.state());
            assertEquals(new CompletionOutcome.RuntimeTerminated("plugin 'alpha' stopped: maintenance"),
                    waiting.completion().get(10, TimeUnit.SECONDS));
            List<String> journal = Journal.events();
            int executorClosed = journal.indexOf("close executor a");
            int factoryClosed = journal.indexOf("close factory a");
            int pluginStopped = journal.indexOf("stop alpha on meerkat-plugin-host");
            assertTrue(executorClosed >= 0 && executorClosed < factoryClosed && factoryClosed < pluginStopped,
                    "executor closed, then factory, then plugin: " + journal);
            assertThrows(UnknownExecutorException.class, () -> runtime.createSession(SessionSpec.of("a")));
            assertEquals("b:still", reply(other, "still"), "the other plugin's sessions keep running");
        }
    }

    @Test
    void aStoppedPluginCanBeStartedAgain() throws Exception {
        Fixtures.plugin("alpha", "a").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = runtimeOn(host)) {
            host.stopPlugin("alpha", "maintenance");
            assertEquals(PluginStatus.STOPPED, host.stopPlugin("alpha", "again").status(), "stopping twice is harmless");
            PluginReport restarted = host.startPlugin("alpha");
            assertEquals(PluginStatus.STARTED, restarted.status());
            assertEquals(Set.of("a"), restarted.executorKinds());
            assertEquals("a:back", reply(runtime.createSession(SessionSpec.of("a")), "back"));
        }
    }

    @Test
    void stoppingARequiredPluginStopsItsDependentsFirst() throws Exception {
        Fixtures.plugin("base", "base").writeTo(plugins);
        Fixtures.plugin("addon", "addon").manifest("Plugin-Dependencies", "base").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = runtimeOn(host)) {
            SessionHandle addonSession = runtime.createSession(SessionSpec.of("addon"));
            host.stopPlugin("base", "upgrade");
            assertEquals(PluginStatus.STOPPED, host.plugin("addon").orElseThrow().status());
            assertEquals(RuntimeState.STOPPED, addonSession.state());
            List<String> journal = Journal.events();
            assertTrue(journal.indexOf("stop addon on meerkat-plugin-host") < journal.indexOf("stop base on meerkat-plugin-host"),
                    "dependent first: " + journal);
        }
    }

    @Test
    void unknownPluginsAndIllegalRequestsAreClearErrors() throws Exception {
        Fixtures.failingToStart("broken", "x").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0")) {
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> host.stopPlugin("nope", "why"));
            assertTrue(unknown.getMessage().contains("no plugin 'nope'"), unknown.getMessage());
            IllegalStateException failed = assertThrows(IllegalStateException.class, () -> host.startPlugin("broken"));
            assertTrue(failed.getMessage().contains("boom"), failed.getMessage());
        }
    }

    @Test
    void closingTheHostStopsSessionsAndUnloadsEveryPlugin() throws Exception {
        Fixtures.plugin("alpha", "a").writeTo(plugins);
        ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
        try (MeerkatRuntime runtime = runtimeOn(host)) {
            SessionHandle session = runtime.createSession(SessionSpec.of("a").withConfig(Map.of("hold", "true")));
            Submission waiting = session.submit(Input.prompt("x"));
            host.close();
            host.close();
            assertEquals(PluginStatus.UNLOADED, host.plugins().get(0).status());
            assertEquals(Set.of(), host.kinds());
            assertEquals(new CompletionOutcome.RuntimeTerminated("plugin 'alpha' stopped: plugin host closed"),
                    waiting.completion().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void snapshotVersionsSatisfyRequirementsOfTheirRelease() {
        assertEquals("0.1.0", RuntimeVersion.withoutQualifier("0.1.0-SNAPSHOT"));
        assertEquals("1.2.3", RuntimeVersion.withoutQualifier("1.2.3"));
        assertTrue(RuntimeVersion.current().matches("\\d+\\.\\d+\\.\\d+"), RuntimeVersion.current());
    }

    @Test
    void filesThatAreNotPluginsAreIgnoredOrReported() throws Exception {
        Files.writeString(plugins.resolve("README.txt"), "not a plugin");
        Fixtures.plugin("alpha", "a").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0")) {
            assertEquals(List.of("alpha"), host.plugins().stream().map(PluginReport::pluginId).toList());
        }
    }
}
