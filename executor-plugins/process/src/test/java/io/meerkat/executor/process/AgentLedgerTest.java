package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The record of running agent programs, and the next start ending what a killed runtime left. A killed
 * runtime is played by a folder named after a process that has exited.
 */
class AgentLedgerTest {

    private static final long PATIENCE_SECONDS = 20;
    /** How long a process must stay alive to count as spared (a kill shows within milliseconds). */
    private static final long SURVIVAL_SECONDS = 2;

    @TempDir
    Path root;

    private final ProcessGroups groups = ProcessGroups.detect();
    private final List<ProcessHandle> started = new ArrayList<>();
    /** The program {@link #startGroup} started last. */
    private Process lastStarted;

    @BeforeAll
    static void processGroups() {
        EchoAgent.requireProcessGroups();
    }

    @AfterEach
    void killLeftovers() {
        started.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Starts {@code sh -c script} in its own group ({@link #lastStarted}); the script prints the pids to watch
     * on its first line. Its stdin stays open: the processes here ignore it, as misbehaving agents would.
     */
    private List<ProcessHandle> startGroup(String script) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "trap '' TERM; " + script);
        assertTrue(groups.isolate(builder));
        Process process = builder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        lastStarted = process;
        started.add(process.toHandle());
        List<ProcessHandle> watched = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String pid : out.readLine().trim().split(" ")) {
                ProcessHandle handle = ProcessHandle.of(Long.parseLong(pid)).orElseThrow();
                started.add(handle);
                watched.add(handle);
            }
        }
        return watched;
    }

    /** Writes the record of {@code program} in the folder of a runtime process that has exited. */
    private Path recordForDeadRuntime(long pid, long startMillis, boolean grouped) throws Exception {
        // Runs until its stdin ends, so that its start time is read while it lives.
        Process runtime = new ProcessBuilder("cat").start();
        long runtimeStart = startMillis(runtime.toHandle());
        runtime.getOutputStream().close();
        assertTrue(runtime.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        Path folder = Files.createDirectories(root.resolve("runtime-" + runtime.pid() + "-" + runtimeStart));
        long boot = ProcessHandle.of(1).flatMap(process -> process.info().startInstant()).orElseThrow().toEpochMilli();
        return Files.writeString(folder.resolve("agent-" + pid), pid + " " + startMillis + " " + grouped + " " + boot + "\n");
    }

    /** Like {@link #recordForDeadRuntime(long, long, boolean)}, with that runtime's last heartbeat at {@code heartbeatMillis}. */
    private Path recordForDeadRuntime(long pid, long startMillis, boolean grouped, long heartbeatMillis) throws Exception {
        Path record = recordForDeadRuntime(pid, startMillis, grouped);
        Files.setLastModifiedTime(record.getParent(), FileTime.fromMillis(heartbeatMillis));
        return record;
    }

    private static long startMillis(ProcessHandle process) {
        return process.info().startInstant().orElseThrow().toEpochMilli();
    }

    private static void assertGone(List<ProcessHandle> processes) throws Exception {
        for (ProcessHandle process : processes) {
            process.onExit().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    void theNextStartKillsAKilledRuntimesProgramAndEveryProcessOfItsGroup() throws Exception {
        // The program, a child of it, and a process it orphaned (no longer its descendant).
        List<ProcessHandle> tree = startGroup("sleep 600 & child=$!; orphan=$(sh -c 'sleep 600 >/dev/null 2>&1 & echo $!');"
                + " echo $$ $child $orphan; exec sleep 600 >/dev/null");
        ProcessHandle program = tree.get(0);
        Path record = recordForDeadRuntime(program.pid(), startMillis(program), true);

        AgentLedger.open(root, groups);

        assertGone(tree);
        assertFalse(Files.exists(record.getParent()), "the dead runtime's folder is removed");
    }

    @Test
    void processesLeftInTheGroupOfAProgramThatExitedAreKilled() throws Exception {
        // The program exits at the end of its stdin; the orphan stays in its group.
        List<ProcessHandle> orphan = startGroup("sh -c 'sleep 600 >/dev/null 2>&1 & echo $!'; read line");
        long programStart = startMillis(lastStarted.toHandle());
        lastStarted.getOutputStream().close();
        assertTrue(lastStarted.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        recordForDeadRuntime(lastStarted.pid(), programStart, true);

        AgentLedger.open(root, groups);

        assertGone(orphan);
    }

    @Test
    void anUnrelatedGroupWhoseLeaderReusedTheExitedProgramsPidIsLeftAlone() throws Exception {
        // A daemon-like start: the leader of a new group leaves a child and exits, as the recorded program did
        // long ago, but this group began after the dead runtime's last heartbeat.
        ProcessHandle daemon = startGroup("sleep 60 >/dev/null 2>&1 & echo $!").get(0);
        assertTrue(lastStarted.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        long groupStart = startMillis(daemon);
        Path record = recordForDeadRuntime(lastStarted.pid(), groupStart - 120_000, true, groupStart - 60_000);
        assertTrue(groups.exists(lastStarted.pid()), "the group outlives its leader");

        AgentLedger.open(root, groups);

        // A SIGKILL takes effect a little after kill(2) returns: give it the time to show.
        assertThrows(TimeoutException.class, () -> daemon.onExit().get(SURVIVAL_SECONDS, TimeUnit.SECONDS),
                "a process that started after the dead runtime's last heartbeat is not its leftover");
        assertFalse(Files.exists(record), "the record is dropped");
    }

    @Test
    void ofAGroupHoldingProcessesFromBeforeAndAfterTheLastHeartbeatOnlyTheEarlierOnesAreKilled() throws Exception {
        // The leader leaves one child, waits for a line, leaves another and exits: two orphans of one group.
        Path laterPid = root.resolve("later-pid");
        List<ProcessHandle> earlier = startGroup("sleep 60 >/dev/null 2>&1 & echo $!; read line;"
                + " sleep 60 >/dev/null 2>&1 & echo $! > '" + laterPid + "'");
        long leaderStart = startMillis(lastStarted.toHandle());
        // Not synchronisation: the two children must start in different ticks of the clock start times count in.
        Thread.sleep(50);
        lastStarted.getOutputStream().write('\n');
        lastStarted.getOutputStream().close();
        assertTrue(lastStarted.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        ProcessHandle later = ProcessHandle.of(Long.parseLong(Files.readString(laterPid).trim())).orElseThrow();
        started.add(later);
        ProcessHandle leftover = earlier.get(0);
        assertTrue(startMillis(later) > startMillis(leftover), "the later child started later");
        // The dead runtime was last known alive when the earlier child started.
        recordForDeadRuntime(lastStarted.pid(), leaderStart, true,
                startMillis(leftover) - AgentLedger.HEARTBEAT_SLACK.toMillis());

        AgentLedger.open(root, groups);

        assertGone(List.of(leftover));
        assertThrows(TimeoutException.class, () -> later.onExit().get(SURVIVAL_SECONDS, TimeUnit.SECONDS),
                "a process of the group that started after the last heartbeat is spared");
    }

    @Test
    void aFolderThatIsNotARuntimesIsSkippedAndTheOthersAreStillReaped() throws Exception {
        ProcessHandle bystander = startGroup("echo $$; exec sleep 60 >/dev/null").get(0);
        Path stray = Files.createDirectories(root.resolve("runtime-5"));
        Files.writeString(stray.resolve("agent-" + bystander.pid()),
                bystander.pid() + " " + startMillis(bystander) + " true -1\n");
        ProcessHandle leftover = startGroup("echo $$; exec sleep 60 >/dev/null").get(0);
        recordForDeadRuntime(leftover.pid(), startMillis(leftover), true);

        AgentLedger.open(root, groups);

        assertGone(List.of(leftover));
        assertTrue(bystander.isAlive(), "a record in a folder not named runtime-PID-START is left alone");
        assertTrue(Files.exists(stray), "and so is the folder");
    }

    @Test
    void recordsThatAreNotSmallRegularFilesAreSkippedWithoutBlockingOrReadingThem() throws Exception {
        ProcessHandle leftover = startGroup("echo $$; exec sleep 60 >/dev/null").get(0);
        Path runtime = recordForDeadRuntime(leftover.pid(), startMillis(leftover), true).getParent();
        // A FIFO nobody writes (opening it would block), a sparse file of 3 GiB, a folder.
        Process mkfifo = new ProcessBuilder("mkfifo", runtime.resolve("agent-1").toString()).start();
        assertTrue(mkfifo.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, mkfifo.exitValue());
        try (RandomAccessFile huge = new RandomAccessFile(runtime.resolve("agent-2").toFile(), "rw")) {
            huge.setLength(3L << 30);
        }
        Files.createDirectories(runtime.resolve("agent-3").resolve("inside"));

        assertTimeoutPreemptively(Duration.ofSeconds(PATIENCE_SECONDS), () -> AgentLedger.open(root, groups));

        assertGone(List.of(leftover));
        assertTrue(Files.exists(runtime.resolve("agent-3")), "what is not a record is left in place");
    }

    @Test
    void aHeartbeatTouchesTheRuntimesFolder() throws Exception {
        List<ProcessHandle> tree = startGroup("echo $$; exec sleep 60 >/dev/null");
        AgentLedger ledger = AgentLedger.open(root, groups);
        AgentLedger.Entry entry = ledger.record(tree.get(0), true).orElseThrow();
        Path folder = entry.file().getParent();
        Files.setLastModifiedTime(folder, FileTime.fromMillis(0));
        long before = System.currentTimeMillis();

        ledger.heartbeat();

        assertTrue(Files.getLastModifiedTime(folder).toMillis() >= before - 1_000, "the folder's time is now");
        ledger.forget(entry);
        ledger.close();
        ledger.heartbeat();
        assertFalse(Files.exists(folder), "a heartbeat does not bring back a closed runtime's folder");
    }

    @Test
    void withoutAGroupTheProgramAndItsDescendantsAreKilled() throws Exception {
        Process program = new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 600 & echo $!; wait")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        started.add(program.toHandle());
        ProcessHandle child;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(program.getInputStream(),
                StandardCharsets.UTF_8))) {
            child = ProcessHandle.of(Long.parseLong(out.readLine().trim())).orElseThrow();
            started.add(child);
        }
        recordForDeadRuntime(program.pid(), startMillis(program.toHandle()), false);

        AgentLedger.open(root, groups);

        assertGone(List.of(program.toHandle(), child));
    }

    @Test
    void aPidNowUsedByAnotherProcessIsLeftAlone() throws Exception {
        List<ProcessHandle> tree = startGroup("echo $$; exec sleep 600 >/dev/null");
        ProcessHandle other = tree.get(0);
        Path record = recordForDeadRuntime(other.pid(), startMillis(other) - 60_000, true);

        AgentLedger.open(root, groups);

        assertTrue(other.isAlive(), "a process with the recorded pid but another start time is not the program");
        assertFalse(Files.exists(record), "the stale record is dropped");
    }

    @Test
    void theProgramsOfRuntimesStillRunningAreLeftAlone() throws Exception {
        List<ProcessHandle> tree = startGroup("echo $$; exec sleep 600 >/dev/null");
        ProcessHandle program = tree.get(0);
        // This JVM's own record, and one in the folder of another live process.
        AgentLedger mine = AgentLedger.open(root, groups);
        Optional<AgentLedger.Entry> entry = mine.record(program, true);
        assertTrue(entry.isPresent());
        ProcessHandle otherRuntime = tree.get(0);
        Path other = Files.createDirectories(root.resolve("runtime-" + otherRuntime.pid() + "-" + startMillis(otherRuntime)));
        Files.writeString(other.resolve("agent-" + program.pid()), program.pid() + " " + startMillis(program) + " true -1\n");

        AgentLedger.open(root, groups);

        assertTrue(program.isAlive());
        assertTrue(Files.exists(entry.get().file()));
        mine.forget(entry.get());
        mine.close();
        assertFalse(Files.exists(entry.get().file().getParent()), "a runtime's empty folder is removed at its close");
        assertEquals(List.of(other), Files.list(root).toList());
    }

    @Test
    void aRunsProgramIsRecordedWhileItRunsAndForgottenOnceItsTreeIsGone() throws Exception {
        BlockingQueue<String> progress = new LinkedBlockingQueue<>();
        ProcessExecutorFactory factory = new ProcessExecutorFactory(root);
        try {
            CoreExecutor executor = factory.create(new ExecutorContext(SessionId.random(), ProcessExecutorFactory.KIND,
                    EchoAgent.config("spawn"), Runnable::run, (runId, message) -> progress.add(message)));
            CompletableFuture<CoreApplyOutput> run = executor.apply(RunId.random(), new RunPrimitive.ImmediateAppend(
                    new ConversationAppend(ConversationAppend.Role.USER, "x"))).toCompletableFuture();
            String pids = progress.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
            assertTrue(pids != null && pids.startsWith("pids "), "the program reports its pids: " + pids);
            long pid = Long.parseLong(pids.split(" ")[1]);
            ProcessHandle program = ProcessHandle.of(pid).orElseThrow();
            started.add(program);
            List<Path> runtimes = Files.list(root).toList();
            assertEquals(1, runtimes.size(), runtimes.toString());
            Path record = runtimes.get(0).resolve("agent-" + pid);
            assertEquals(pid + " " + startMillis(program) + " true "
                    + startMillis(ProcessHandle.of(1).orElseThrow()), Files.readString(record).trim());

            executor.control(new RunControlCommand.CancelCurrentRun("enough")).toCompletableFuture()
                    .get(PATIENCE_SECONDS, TimeUnit.SECONDS);
            assertTrue(run.isCompletedExceptionally());
            assertFalse(Files.exists(record), "forgotten once the tree is gone");
        } finally {
            factory.close();
        }
        assertEquals(List.of(), Files.list(root).toList(), "the runtime's folder is removed at close");
    }
}
