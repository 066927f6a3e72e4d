package io.meerkat.executor.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts each agent program as the leader of its own process group (and session), and signals such a
 * group as a whole, so that a process the program started is reached even after it was orphaned or
 * while it is being forked.
 *
 * <p>Java can neither create nor signal a process group, so two POSIX programs do it: util-linux's
 * {@code setsid}, which (started by the JVM, thus never a group leader itself) calls {@code setsid()}
 * and execs the agent program in place, keeping its pid; and {@code kill -s SIGNAL -- -GROUP}. When
 * either is missing (macOS, Windows, a minimal image) {@link #available()} is false: programs then
 * share the runtime's group and only the descendant scan of {@link ProcessTree} ends them.
 */
final class ProcessGroups {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessGroups.class);
    private static final List<String> SETSID = List.of("/usr/bin/setsid", "/bin/setsid");
    private static final List<String> KILL = List.of("/bin/kill", "/usr/bin/kill");
    private static final Path PROC = Path.of("/proc");
    /** A {@code kill} answers in a few milliseconds; this only bounds a stuck one. */
    private static final long KILL_PATIENCE_SECONDS = 5;

    private final Optional<String> setsid;
    private final Optional<String> kill;

    private ProcessGroups(Optional<String> setsid, Optional<String> kill) {
        this.setsid = setsid.isPresent() && kill.isPresent() ? setsid : Optional.empty();
        this.kill = kill;
    }

    /** Process groups where this machine has both programs, at their fixed paths (never looked up on PATH). */
    static ProcessGroups detect() {
        ProcessGroups groups = new ProcessGroups(firstExecutable(SETSID), firstExecutable(KILL));
        if (!groups.available()) {
            LOG.info("no {} and {} on this machine: agent programs share the runtime's process group, and a"
                    + " process they orphan is not ended", SETSID.get(0), KILL.get(0));
        }
        return groups;
    }

    /** No process groups: programs are started as they are (tests of the fallback). */
    static ProcessGroups none() {
        return new ProcessGroups(Optional.empty(), Optional.empty());
    }

    /** Whether programs get their own process group. */
    boolean available() {
        return setsid.isPresent();
    }

    /**
     * Prefixes {@code builder}'s command with {@code setsid} when available. A bare program name is
     * resolved on the runtime's {@code PATH} first, as {@link ProcessBuilder} itself would; a name not
     * found there is left unwrapped, so that starting it fails with the JDK's own error.
     *
     * @return whether the program will lead its own process group
     */
    boolean isolate(ProcessBuilder builder) {
        if (setsid.isEmpty()) {
            return false;
        }
        List<String> command = new ArrayList<>(builder.command());
        Optional<String> program = resolve(command.get(0));
        if (program.isEmpty()) {
            return false;
        }
        command.set(0, program.get());
        command.add(0, setsid.get());
        builder.command(command);
        return true;
    }

    /**
     * Sends SIGTERM ({@code force} false) or SIGKILL to every process of group {@code groupId}.
     *
     * @return whether any process took it (false when the group has no process left)
     */
    boolean signal(long groupId, boolean force) {
        return kill(force ? "KILL" : "TERM", groupId);
    }

    /** Whether group {@code groupId} still has a process (a zombie counts). */
    boolean exists(long groupId) {
        return kill("0", groupId);
    }

    /**
     * The processes of group {@code groupId}, as Linux's {@code /proc} lists them; empty where there is
     * no {@code /proc}. A process may exit, or join the group, right after it was looked at.
     */
    Optional<List<ProcessHandle>> members(long groupId) {
        if (!Files.isReadable(PROC.resolve("self").resolve("stat"))) {
            return Optional.empty();
        }
        return Optional.of(ProcessHandle.allProcesses().filter(process -> groupOf(process.pid()) == groupId).toList());
    }

    /** The process group of process {@code pid}; -1 if it has exited. */
    private static long groupOf(long pid) {
        String stat;
        try {
            stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.ISO_8859_1);
        } catch (IOException exited) {
            return -1;
        }
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so fields count from the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 4);
        return Long.parseLong(fields[2]);
    }

    private boolean kill(String signal, long groupId) {
        if (kill.isEmpty() || groupId <= 1) {
            return false;
        }
        ProcessBuilder builder = new ProcessBuilder(kill.get(), "-s", signal, "--", "-" + groupId)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            if (!process.waitFor(KILL_PATIENCE_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                LOG.warn("'{} -s {} -- -{}' did not answer within {} s", kill.get(), signal, groupId,
                        KILL_PATIENCE_SECONDS);
                return false;
            }
            // Exit code 1: no process in the group (or none this user may signal).
            return process.exitValue() == 0;
        } catch (IOException e) {
            LOG.warn("could not run '{} -s {} -- -{}': {}", kill.get(), signal, groupId, e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("interrupted while signalling process group {}", groupId);
            return false;
        }
    }

    private static Optional<String> resolve(String program) {
        if (program.indexOf('/') >= 0) {
            // A path: setsid's execvp resolves it against the working directory, as the JDK would.
            return Optional.of(program);
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String directory : path.split(File.pathSeparator)) {
            try {
                Path candidate = Path.of(directory.isEmpty() ? "." : directory, program).toAbsolutePath();
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toString());
                }
            } catch (InvalidPathException e) {
                LOG.debug("PATH entry '{}' is not a path: {}", directory, e.getMessage());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> firstExecutable(List<String> candidates) {
        if (File.separatorChar != '/') {
            return Optional.empty();
        }
        return candidates.stream().filter(candidate -> Files.isExecutable(Path.of(candidate))).findFirst();
    }
}
