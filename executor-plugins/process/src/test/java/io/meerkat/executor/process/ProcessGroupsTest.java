package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Process groups on this machine (Linux: util-linux {@code setsid}, procps {@code kill}). */
class ProcessGroupsTest {

    private final ProcessGroups groups = ProcessGroups.detect();

    @BeforeAll
    static void processGroups() {
        EchoAgent.requireProcessGroups();
    }

    @Test
    void aBareProgramNameIsResolvedOnThePathAndStartedThroughSetsid() {
        assertTrue(groups.available(), "setsid and kill at their usual paths");
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "exit 0");
        assertTrue(groups.isolate(builder));
        assertEquals(4, builder.command().size(), builder.command().toString());
        assertTrue(builder.command().get(0).endsWith("/setsid"), builder.command().toString());
        assertTrue(Path.of(builder.command().get(1)).isAbsolute() && builder.command().get(1).endsWith("/sh"),
                builder.command().toString());
        assertEquals(List.of("-c", "exit 0"), builder.command().subList(2, 4));
    }

    @Test
    void aProgramNotOnThePathIsLeftAsItIsSoThatStartingItFailsAsUsual() {
        ProcessBuilder builder = new ProcessBuilder("no-such-agent-program-here");
        assertFalse(groups.isolate(builder));
        assertEquals(List.of("no-such-agent-program-here"), builder.command());
    }

    @Test
    void withoutProcessGroupsTheCommandIsUnchanged() {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "exit 0");
        assertFalse(ProcessGroups.none().isolate(builder));
        assertEquals(List.of("sh", "-c", "exit 0"), builder.command());
        assertFalse(ProcessGroups.none().signal(ProcessHandle.current().pid(), false), "signals nothing");
    }

    @Test
    void theProgramKeepsItsPidLeadsItsGroupAndTheGroupIsSignalledAsAWhole() throws Exception {
        // The program reports its pid and its process group, orphans a child, then waits.
        ProcessBuilder builder = new ProcessBuilder("sh", "-c",
                "echo $$ $(ps -o pgid= -p $$); sh -c 'sleep 600 >/dev/null 2>&1 & echo $!'; exec sleep 600");
        assertTrue(groups.isolate(builder));
        Process process = builder.redirectErrorStream(true).start();
        ProcessHandle orphan = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String[] ids = out.readLine().trim().split("\\s+");
            assertEquals(List.of(Long.toString(process.pid()), Long.toString(process.pid())), List.of(ids));
            orphan = ProcessHandle.of(Long.parseLong(out.readLine().trim())).orElseThrow();
            assertTrue(groups.exists(process.pid()));
            // The program and the orphan (the shell that started it may not have exited yet), never the JVM.
            List<ProcessHandle> members = groups.members(process.pid()).orElseThrow();
            assertTrue(members.containsAll(List.of(process.toHandle(), orphan)), members.toString());
            assertFalse(members.contains(ProcessHandle.current()), members.toString());
            assertTrue(groups.signal(process.pid(), true));
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the program took SIGKILL");
            orphan.onExit().get(20, TimeUnit.SECONDS);
        } finally {
            process.destroyForcibly();
            if (orphan != null) {
                orphan.destroyForcibly();
            }
        }
    }
}
