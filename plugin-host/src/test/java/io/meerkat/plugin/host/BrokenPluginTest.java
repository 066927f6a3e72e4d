package io.meerkat.plugin.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each way a plugin can be broken is reported with its reason, and a good plugin beside it still works. */
class BrokenPluginTest {

    /** A broken plugin, how to build it, and what its report says. */
    enum Broken {
        NOT_A_JAR("broken.jar", "cannot be loaded") {
            @Override
            void writeTo(Path folder) throws IOException {
                PluginJarBuilder.garbage(folder, "broken.jar");
            }
        },
        NO_MANIFEST("broken.jar", "cannot be loaded") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").withoutManifest().writeTo(folder);
            }
        },
        NO_PLUGIN_ID("broken.jar", "cannot be loaded") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").manifest("Plugin-Id", null).writeTo(folder);
            }
        },
        PLUGIN_CLASS_NOT_FOUND("broken", "plugin class 'fixture.broken.Missing' cannot be loaded") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").manifest("Plugin-Class", "fixture.broken.Missing").writeTo(folder);
            }
        },
        THROWS_IN_START("broken", "failed to start: IllegalStateException: boom") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.failingToStart("broken", "x").writeTo(folder);
            }
        },
        REQUIRES_A_NEWER_RUNTIME("broken", "requires runtime version >=99.0.0, this runtime is 0.1.0") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").manifest("Plugin-Requires", ">=99.0.0").writeTo(folder);
            }
        },
        MISSING_DEPENDENCY("broken", "requires plugin 'ghost', which is not installed") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").manifest("Plugin-Dependencies", "ghost").writeTo(folder);
            }
        },
        EXTENSION_CLASS_MISSING("broken", "extension fixture.broken.Factory cannot be created") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").omit("fixture.broken.Factory").writeTo(folder);
            }
        },
        NO_EXTENSION_INDEX("broken", "serves no executor kind: the archive lists no extension in "
                + "META-INF/extensions.idx (mark the factory class @Extension and run PF4J's annotation processor") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").withoutExtensionIndex().writeTo(folder);
            }
        },
        NO_EXECUTOR_FACTORY("broken", "serves no executor kind: none of its extensions [fixture.broken.FixturePlugin]"
                + " is an ExecutorFactory") {
            @Override
            void writeTo(Path folder) throws IOException {
                Fixtures.plugin("broken", "x").withoutExtensionIndex().extension("fixture.broken.FixturePlugin")
                        .writeTo(folder);
            }
        };

        final String reportedId;
        final String reason;

        Broken(String reportedId, String reason) {
            this.reportedId = reportedId;
            this.reason = reason;
        }

        abstract void writeTo(Path folder) throws IOException;
    }

    private static final String GOOD_KIND = "good";

    @TempDir
    Path plugins;

    @ParameterizedTest
    @EnumSource(Broken.class)
    void isReportedWithItsReasonAndTheGoodPluginStillWorks(Broken broken) throws Exception {
        Fixtures.plugin("good", GOOD_KIND).writeTo(plugins);
        broken.writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = ExecutorPluginHostTest.runtimeOn(host)) {
            PluginReport report = host.plugin(broken.reportedId).orElseThrow(() ->
                    new AssertionError("no report for " + broken.reportedId + " in " + host.plugins()));
            assertEquals(PluginStatus.FAILED, report.status(), report.toString());
            assertTrue(report.reason().contains(broken.reason), "reason: " + report.reason());
            assertEquals(Set.of(), report.executorKinds());

            PluginReport good = host.plugin("good").orElseThrow();
            assertEquals(PluginStatus.STARTED, good.status(), good.toString());
            assertEquals(Set.of(GOOD_KIND), runtime.executorKinds());
            assertEquals("good:still works",
                    ExecutorPluginHostTest.reply(runtime.createSession(SessionSpec.of(GOOD_KIND)), "still works"));
        }
    }
}
