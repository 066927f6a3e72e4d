package io.meerkat.executor.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers on disk which agent programs this runtime process has running, so that the next runtime
 * started on the same folder ends those a killed runtime (kill -9, a crash, a power cut of the JVM only)
 * left behind; see {@link #open}.
 *
 * <p>Layout: {@code ROOT/runtime-PID-START/agent-PID}, one folder per runtime process (its pid and start
 * time in epoch milliseconds), one file per live agent program holding
 * {@code "PID START GROUPED BOOT"}: the program's pid and start time, whether it leads its own process
 * group, and the start time of process 1 (which changes when the machine or container restarts). A
 * process is only ever matched by pid and start time together, never by a pid alone, which the system may
 * have given to another process since. Thread safe.
 */
final class AgentLedger {

    private static final Logger LOG = LoggerFactory.getLogger(AgentLedger.class);
    private static final String RUNTIME_PREFIX = "runtime-";
    private static final String AGENT_PREFIX = "agent-";

    private final Path root;            // null: nothing is recorded
    private final Path own;
    private final ProcessGroups groups;
    private final long boot;
    private final AtomicBoolean warned = new AtomicBoolean();

    private AgentLedger(Path root, ProcessGroups groups) {
        Optional<Long> started = startMillis(Optional.of(ProcessHandle.current()));
        if (root != null && started.isEmpty()) {
            // Without its own start time, this runtime's folder could not be told from a dead runtime's.
            LOG.warn("this system does not tell process start times: agent program processes are not recorded,"
                    + " and those a killed runtime leaves behind are not ended at the next start");
        }
        this.root = started.isPresent() ? root : null;
        this.groups = groups;
        this.boot = startMillis(ProcessHandle.of(1)).orElse(-1L);
        this.own = this.root == null ? null
                : this.root.resolve(RUNTIME_PREFIX + ProcessHandle.current().pid() + "-" + started.get());
    }

    /** A ledger that records nothing (no folder configured: an embedded runtime, tests). */
    static AgentLedger none() {
        return new AgentLedger(null, ProcessGroups.none());
    }

    /**
     * A ledger in {@code root}, after ending what runtimes that are no longer running left there: each
     * recorded agent program still alive, with every process it started (its group, or its descendants
     * without one), is killed, with one WARN line per program. The folders of runtimes still running are
     * left alone, so several runtimes may share {@code root}.
     */
    static AgentLedger open(Path root, ProcessGroups groups) {
        AgentLedger ledger = new AgentLedger(root, groups);
        ledger.reapLeftovers();
        return ledger;
    }

    /** An agent program's file; {@link #forget} removes it. */
    record Entry(Path file) {
    }

    /**
     * Records a started agent program; empty if nothing is recorded (no folder, the program has already
     * exited, or the file cannot be written: then one WARN line, the run goes on).
     */
    Optional<Entry> record(ProcessHandle program, boolean grouped) {
        if (root == null) {
            return Optional.empty();
        }
        Optional<Long> start = startMillis(Optional.of(program));
        if (start.isEmpty()) {
            return Optional.empty();
        }
        Path file = own.resolve(AGENT_PREFIX + program.pid());
        String line = program.pid() + " " + start.get() + " " + grouped + " " + boot + "\n";
        try {
            Files.createDirectories(own);
            Files.writeString(file, line, StandardCharsets.UTF_8);
            return Optional.of(new Entry(file));
        } catch (IOException e) {
            if (warned.compareAndSet(false, true)) {
                LOG.warn("cannot record agent program processes in {} ({}): those a killed runtime leaves behind"
                        + " will not be ended at the next start", own, e.toString());
            }
            return Optional.empty();
        }
    }

    /** Forgets a program whose process tree is gone. */
    void forget(Entry entry) {
        try {
            Files.deleteIfExists(entry.file());
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", entry.file(), e.toString());
        }
    }

    /** Removes this runtime's folder if no program is recorded in it any more. */
    void close() {
        if (own == null) {
            return;
        }
        try {
            Files.deleteIfExists(own);
        } catch (DirectoryNotEmptyException stillRunning) {
            // Another factory of this JVM (a reloaded plugin) still has programs; its close removes the folder.
            LOG.debug("{} still lists agent programs", own);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", own, e.toString());
        }
    }

    private void reapLeftovers() {
        if (root == null || !Files.isDirectory(root)) {
            return;
        }
        try (DirectoryStream<Path> runtimes = Files.newDirectoryStream(root, RUNTIME_PREFIX + "*")) {
            for (Path runtime : runtimes) {
                if (!runtime.equals(own) && !isRunning(runtime.getFileName().toString())) {
                    reapRuntime(runtime);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read {} to end the agent programs of killed runtimes: {}", root, e.toString());
        }
    }

    private void reapRuntime(Path runtime) throws IOException {
        String name = runtime.getFileName().toString();
        try (DirectoryStream<Path> agents = Files.newDirectoryStream(runtime, AGENT_PREFIX + "*")) {
            for (Path agent : agents) {
                reap(agent, name);
                Files.deleteIfExists(agent);
            }
        } catch (NoSuchFileException raced) {
            // Another runtime starting on the same folder reaped it first.
            return;
        }
        try {
            Files.deleteIfExists(runtime);
        } catch (DirectoryNotEmptyException e) {
            LOG.warn("{} holds files that are not agent records; left in place", runtime);
        }
    }

    private void reap(Path file, String runtime) {
        String[] fields;
        try {
            fields = Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
        } catch (NoSuchFileException raced) {
            return;
        } catch (IOException e) {
            LOG.warn("cannot read {}: {}", file, e.toString());
            return;
        }
        long pid;
        long start;
        long recordedBoot;
        try {
            pid = Long.parseLong(fields[0]);
            start = Long.parseLong(fields[1]);
            recordedBoot = Long.parseLong(fields[3]);
        } catch (RuntimeException e) {
            LOG.warn("{} is not an agent record ('{}'); deleted", file, String.join(" ", fields));
            return;
        }
        boolean grouped = Boolean.parseBoolean(fields[2]);
        String from = "left running by the runtime process " + runtime.substring(RUNTIME_PREFIX.length(),
                runtime.lastIndexOf('-')) + ", which ended without stopping it";
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isPresent()) {
            if (startMillis(process).equals(Optional.of(start))) {
                List<ProcessHandle> descendants = process.get().descendants().toList();
                if (grouped) {
                    groups.signal(pid, true);
                }
                process.get().destroyForcibly();
                descendants.forEach(ProcessHandle::destroyForcibly);
                LOG.warn("killed agent program process {} (started {}) and the processes it started, {}", pid,
                        Instant.ofEpochMilli(start), from);
            }
            // Otherwise the pid is another process's now; so the program's group, whose id it was, is empty.
            return;
        }
        // The program has exited; processes it left in its group keep the group's id (its pid) taken, so a
        // live group of that id is the program's, unless the machine restarted since (process 1 tells). A new
        // process taking the pid and leading a group between these calls would need the pid space to wrap.
        if (grouped && boot != -1 && recordedBoot == boot && groups.exists(pid) && groups.signal(pid, true)) {
            LOG.warn("killed the processes left in the process group of agent program {} (started {}), {}", pid,
                    Instant.ofEpochMilli(start), from);
        }
    }

    /** Whether the runtime process a folder is named after still runs (same pid, same start time). */
    private static boolean isRunning(String folder) {
        String[] parts = folder.substring(RUNTIME_PREFIX.length()).split("-");
        try {
            Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(parts[0]));
            return parts.length == 2 && startMillis(process).equals(Optional.of(Long.parseLong(parts[1])));
        } catch (NumberFormatException e) {
            LOG.warn("{} is not a runtime's folder name; its contents are left alone", folder);
            return true;
        }
    }

    private static Optional<Long> startMillis(Optional<ProcessHandle> process) {
        return process.flatMap(handle -> handle.info().startInstant()).map(Instant::toEpochMilli);
    }
}
