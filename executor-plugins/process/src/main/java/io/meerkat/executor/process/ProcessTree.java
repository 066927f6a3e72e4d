package io.meerkat.executor.process;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends an agent program and every process it started: a graceful signal ({@code destroy()}, SIGTERM
 * on POSIX) to each, then after a grace period a forcible kill ({@code destroyForcibly()}, SIGKILL) to
 * each one still alive, including descendants that appeared in between. {@link #gone()} completes once
 * every process known at the graceful signal has exited. Thread safe.
 *
 * <p>A descendant is only found while its parent lives: one whose parent exited before a snapshot was
 * taken has been re-parented and is out of reach. Callers therefore pass every descendant they saw
 * earlier, and the snapshot here is taken before any signal is sent.
 */
final class ProcessTree {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessTree.class);

    private final ProcessHandle root;
    private final Set<ProcessHandle> members;
    private final CompletableFuture<Void> gone;
    private final Object lock = new Object();
    private ScheduledFuture<?> forcibleKill;   // guarded by lock
    private boolean killed;                    // guarded by lock

    private ProcessTree(ProcessHandle root, Set<ProcessHandle> members) {
        this.root = root;
        this.members = members;
        this.gone = CompletableFuture.allOf(members.stream().map(ProcessHandle::onExit)
                .toArray(CompletableFuture[]::new));
    }

    /**
     * Signals {@code root}, its current descendants and {@code seenBefore} gracefully, and kills the
     * survivors after {@code grace} (at once if {@code grace} is zero or the timer is shut down).
     */
    static ProcessTree terminate(ProcessHandle root, List<ProcessHandle> seenBefore, Duration grace,
                                 ScheduledExecutorService timer) {
        // Descendants are collected before the root is signalled: once it exits they are re-parented.
        Set<ProcessHandle> members = new LinkedHashSet<>();
        members.add(root);
        members.addAll(seenBefore);
        root.descendants().forEach(members::add);
        members.removeIf(process -> !process.isAlive());
        ProcessTree tree = new ProcessTree(root, members);
        if (members.isEmpty()) {
            return tree;
        }
        if (grace.isZero()) {
            tree.killNow();
            return tree;
        }
        // Descendants first, then whatever the root started meanwhile, then the root: this narrows (but cannot
        // close) the window in which the root forks a child after the scan and is signalled before we see it.
        members.stream().filter(process -> !process.equals(root)).forEach(ProcessTree::signal);
        root.descendants().filter(members::add).forEach(ProcessTree::signal);
        signal(root);
        tree.scheduleKill(grace, timer);
        return tree;
    }

    private void scheduleKill(Duration grace, ScheduledExecutorService timer) {
        ScheduledFuture<?> kill;
        synchronized (lock) {
            try {
                kill = timer.schedule(this::killNow, grace.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException shutDown) {
                kill = null;
            }
            forcibleKill = kill;
        }
        if (kill == null) {
            killNow();
        } else {
            ScheduledFuture<?> scheduled = kill;
            // Cancelled so that the timer does not hold this tree (and the plugin's classes) until the grace ends.
            gone.whenComplete((value, error) -> scheduled.cancel(false));
        }
    }

    /** Kills every member still alive and every descendant of theirs, at once. Idempotent. */
    void killNow() {
        synchronized (lock) {
            if (killed || gone.isDone()) {
                return;
            }
            killed = true;
            if (forcibleKill != null) {
                forcibleKill.cancel(false);
            }
        }
        // Re-collected: a member may have started processes since the snapshot.
        Set<ProcessHandle> targets = new LinkedHashSet<>(members);
        for (ProcessHandle member : members) {
            if (member.isAlive()) {
                member.descendants().forEach(targets::add);
            }
        }
        for (ProcessHandle target : targets) {
            if (target.isAlive()) {
                LOG.debug("killing process {} of agent program {}", target.pid(), root.pid());
                target.destroyForcibly();
            }
        }
    }

    /** Completes once every process signalled has exited. */
    CompletableFuture<Void> gone() {
        return gone;
    }

    private static void signal(ProcessHandle process) {
        if (!process.destroy()) {
            LOG.debug("process {} took no graceful signal (it has exited)", process.pid());
        }
    }
}
