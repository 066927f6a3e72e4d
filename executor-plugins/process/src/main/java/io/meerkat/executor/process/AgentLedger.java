package io.meerkat.executor.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * have given to another process since. The folder's time is the runtime's heartbeat ({@link #heartbeat}):
 * of a group whose leader has exited, only processes started between the program's start and the dead
 * runtime's last heartbeat are taken for its leftovers. Anything in {@code ROOT} that is not a folder
 * named {@code runtime-PID-START} holding small regular files is left alone (one WARN line). Thread safe.
 */
final class AgentLedger {

    private static final Logger LOG = LoggerFactory.getLogger(AgentLedger.class);
    private static final String RUNTIME_PREFIX = "runtime-";
    private static final String AGENT_PREFIX = "agent-";
    /** How often a running runtime sets its folder's time ({@link #heartbeat}). */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    /**
     * How long after its folder's time a dead runtime may still have lived: one period, and one more for a
     * beat delayed by the busy timer thread, clock granularity and start times rounded to the second.
     */
    static final Duration HEARTBEAT_SLACK = HEARTBEAT.multipliedBy(2);
    /** A record is one short line; anything longer is not one, and is not read further. */
    private static final int MAX_RECORD_BYTES = 256;
    private static final Pattern RUNTIME_FOLDER = Pattern.compile(RUNTIME_PREFIX + "(\\d{1,18})-(\\d{1,18})");

    private final Path root;            // null: nothing is recorded
    private final Path own;
    private final ProcessGroups groups;
    private final long boot;
    private final AtomicBoolean warned = new AtomicBoolean();
    private final AtomicBoolean heartbeatWarned = new AtomicBoolean();

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
     * without one), is killed, with one WARN line per program; of a recorded program that has exited, the
     * processes left in its group that started while its runtime lived, and their descendants. The folders
     * of runtimes still running are left alone, so several runtimes may share {@code root}. Never throws
     * for what it finds in {@code root}.
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

    /**
     * Sets this runtime's folder's time to now (done every {@link #HEARTBEAT} by the factory): the next
     * start takes it as the moment this runtime was last known alive. Creating and deleting records sets
     * it too; before the first record there is no folder, and none is created here.
     */
    void heartbeat() {
        if (own == null) {
            return;
        }
        try {
            Files.setLastModifiedTime(own, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (NoSuchFileException noProgramYet) {
            LOG.trace("no agent program recorded yet in {}", own);
        } catch (IOException e) {
            if (heartbeatWarned.compareAndSet(false, true)) {
                LOG.warn("cannot set the time of {} ({}): the next start after a kill may leave processes this"
                        + " runtime's agent programs started running", own, e.toString());
            }
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
                Matcher name = RUNTIME_FOLDER.matcher(runtime.getFileName().toString());
                if (!name.matches() || !Files.isDirectory(runtime, LinkOption.NOFOLLOW_LINKS)) {
                    LOG.warn("{} is not a folder named runtime-PID-START; left alone", runtime);
                    continue;
                }
                long pid = Long.parseLong(name.group(1));
                if (runtime.equals(own) || isRunning(pid, Long.parseLong(name.group(2)))) {
                    continue;
                }
                try {
                    reapRuntime(runtime, pid);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("cannot end the agent programs recorded in {}: {}", runtime, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read {} to end the agent programs of killed runtimes: {}", root, e.toString());
        }
    }

    private void reapRuntime(Path runtime, long runtimePid) throws IOException {
        // Read before any record is deleted: a deletion sets the folder's time to now.
        long lastHeartbeat = Files.getLastModifiedTime(runtime, LinkOption.NOFOLLOW_LINKS).toMillis();
        String from = "left running by the runtime process " + runtimePid + ", which ended without stopping it";
        try (DirectoryStream<Path> agents = Files.newDirectoryStream(runtime, AGENT_PREFIX + "*")) {
            for (Path agent : agents) {
                // One record that cannot be handled must not keep the others' programs running, nor the plugin from starting.
                try {
                    if (reap(agent, from, lastHeartbeat)) {
                        Files.deleteIfExists(agent);
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warn("cannot end the agent program recorded in {}: {}", agent, e.toString());
                }
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

    /**
     * Ends what is left of the program recorded in {@code file}.
     *
     * @return whether the file is to be deleted (false: not a regular file, left in place)
     */
    private boolean reap(Path file, String from, long lastHeartbeat) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException raced) {
            return false;
        }
        if (!attributes.isRegularFile()) {
            // Opening a FIFO would block this start; a device could be endless.
            LOG.warn("{} is not a regular file, so not an agent record; left in place", file);
            return false;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_RECORD_BYTES + 1);
        } catch (NoSuchFileException raced) {
            return false;
        }
        String content = new String(bytes, 0, Math.min(bytes.length, MAX_RECORD_BYTES), StandardCharsets.UTF_8).trim();
        String[] fields = content.split(" ");
        long pid;
        long start;
        long recordedBoot;
        try {
            if (bytes.length > MAX_RECORD_BYTES || fields.length != 4) {
                throw new IllegalArgumentException("not 4 fields");
            }
            pid = Long.parseLong(fields[0]);
            if (pid <= 1) {
                throw new IllegalArgumentException("not an agent program's pid");
            }
            start = Long.parseLong(fields[1]);
            recordedBoot = Long.parseLong(fields[3]);
        } catch (RuntimeException e) {
            String shown = content.replaceAll("\\p{Cntrl}", "?");
            LOG.warn("{} is not an agent record ('{}'); deleted", file, shown.length() > 80 ? shown.substring(0, 80)
                    + "…" : shown);
            return true;
        }
        boolean grouped = Boolean.parseBoolean(fields[2]);
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
            return true;
        }
        // The program has exited. Processes it left in its group keep the group's id (its pid) taken, unless the
        // machine restarted since (process 1 tells). But a polite program exits when its runtime dies, so its
        // group may have emptied since and its pid gone to an unrelated process that made itself a group
        // leader (a daemon's setsid) and left children: only what started while the runtime lived is its.
        if (grouped && boot != -1 && recordedBoot == boot && groups.exists(pid)) {
            reapGroup(pid, start, lastHeartbeat + HEARTBEAT_SLACK.toMillis(), from);
        }
        return true;
    }

    /**
     * Kills the processes of group {@code pid} that started between {@code start} (the program's) and
     * {@code until} (the last moment its runtime may have lived), and every process they started.
     */
    private void reapGroup(long pid, long start, long until, String from) {
        Optional<List<ProcessHandle>> members = groups.members(pid);
        if (members.isEmpty()) {
            LOG.warn("cannot list the processes of process group {} on this system: those agent program {} (started"
                    + " {}) left there are not ended, {}", pid, pid, Instant.ofEpochMilli(start), from);
            return;
        }
        Set<ProcessHandle> leftovers = new LinkedHashSet<>();
        for (ProcessHandle member : members.get()) {
            Optional<Long> started = startMillis(Optional.of(member));
            if (started.isPresent() && started.get() >= start && started.get() <= until) {
                leftovers.add(member);
                // What a leftover started since, even after the runtime died, is a leftover too.
                member.descendants().forEach(leftovers::add);
            }
        }
        if (leftovers.isEmpty()) {
            LOG.info("process group {} is not agent program {}'s (started {}): its processes started after the"
                    + " runtime that recorded it was last known alive, at {}; left alone", pid, pid,
                    Instant.ofEpochMilli(start), Instant.ofEpochMilli(until));
            return;
        }
        if (leftovers.containsAll(members.get())) {
            // The whole group is leftovers, and only its members can add a process to it (by forking, or by
            // setpgid within their session): one signal reaches them all, a process being forked included.
            groups.signal(pid, true);
        } else {
            // Handles carry start times: a pid that went to another process meanwhile is not signalled.
            leftovers.forEach(ProcessHandle::destroyForcibly);
        }
        LOG.warn("killed the processes left in the process group of agent program {} (started {}), {}", pid,
                Instant.ofEpochMilli(start), from);
    }

    /** Whether the runtime process a folder is named after still runs (same pid, same start time). */
    private static boolean isRunning(long pid, long start) {
        return startMillis(ProcessHandle.of(pid)).equals(Optional.of(start));
    }

    private static Optional<Long> startMillis(Optional<ProcessHandle> process) {
        return process.flatMap(handle -> handle.info().startInstant()).map(Instant::toEpochMilli);
    }
}
