package io.meerkat.executor.process;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends an agent program and every process it started: a graceful signal (SIGTERM on POSIX) to each,
 * then after a grace period a forcible kill (SIGKILL) to each one still alive, including descendants
 * that appeared in between. {@link #gone()} completes once every process known at the graceful signal
 * has exited. Thread safe.
 *
 * <p>A program that leads its own process group ({@link ProcessGroups}) is signalled through its group:
 * one signal reaches every process in it, including one being forked at that instant and one orphaned
 * earlier. Once the known processes are gone, whatever is left in the group is killed. A descendant
 * that left the group (its own {@code setsid}) gets only the forcible kill.
 *
 * <p>Without a group, a descendant is only found while its parent lives: one whose parent exited before
 * a snapshot was taken has been re-parented and is out of reach. Callers therefore pass every descendant
 * they saw earlier, and the snapshot here is taken before any signal is sent.
 */
final class ProcessTree {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessTree.class);

    private final ProcessHandle root;
    private final boolean grouped;
    private final ProcessGroups groups;
    private final Set<ProcessHandle> members;
    private final CompletableFuture<Void> gone;
    private final Object lock = new Object();
    private ScheduledFuture<?> forcibleKill;   // guarded by lock
    private boolean killed;                    // guarded by lock

    private ProcessTree(ProcessHandle root, boolean grouped, ProcessGroups groups, Set<ProcessHandle> members,
                        Executor blocking) {
        this.root = root;
        this.grouped = grouped;
        this.groups = groups;
        this.members = members;
        CompletableFuture<Void> exited = CompletableFuture.allOf(members.stream().map(ProcessHandle::onExit)
                .toArray(CompletableFuture[]::new));
        this.gone = grouped ? exited.thenCompose(ignored -> runOn(blocking, this::sweepGroup)) : exited;
    }

    /**
     * Signals {@code root}, its current descendants and {@code seenBefore} gracefully, and kills the
     * survivors after {@code grace} (at once if {@code grace} is zero or the timer is shut down).
     *
     * @param grouped  whether {@code root} leads its own process group (started by {@link ProcessGroups#isolate})
     * @param blocking where the group is swept once the processes are gone (a {@code kill} process: milliseconds)
     */
    static ProcessTree terminate(ProcessHandle root, boolean grouped, ProcessGroups groups,
                                 List<ProcessHandle> seenBefore, Duration grace, ScheduledExecutorService timer,
                                 Executor blocking) {
        // Descendants are collected before the root is signalled: once it exits they are re-parented.
        Set<ProcessHandle> members = new LinkedHashSet<>();
        members.add(root);
        members.addAll(seenBefore);
        root.descendants().forEach(members::add);
        members.removeIf(process -> !process.isAlive());
        ProcessTree tree = new ProcessTree(root, grouped, groups, members, blocking);
        if (members.isEmpty()) {
            return tree;
        }
        if (grace.isZero()) {
            tree.killNow();
            return tree;
        }
        if (grouped) {
            // One signal, so that no process of the group gets it twice (a program's handler may not expect
            // that). No group yet means setsid has not made it: then the program alone is in its tree.
            if (!groups.signal(root.pid(), false)) {
                signal(root);
            }
            tree.scheduleKill(grace, timer);
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
        if (grouped) {
            groups.signal(root.pid(), true);
        }
        for (ProcessHandle target : targets) {
            if (target.isAlive()) {
                LOG.debug("killing process {} of agent program {}", target.pid(), root.pid());
                target.destroyForcibly();
            }
        }
    }

    /**
     * Kills what is left in the program's group once its known processes have exited: processes it
     * orphaned. The group cannot be another one yet: its id stays taken while any process is in it.
     */
    private void sweepGroup() {
        if (groups.signal(root.pid(), true)) {
            LOG.debug("killed the processes left in the group of agent program {}", root.pid());
        }
    }

    /** Runs {@code task} on the plugin's pool (not on the JDK thread that completes process exits); here if it is shut down. */
    private static CompletableFuture<Void> runOn(Executor blocking, Runnable task) {
        try {
            return CompletableFuture.runAsync(task, blocking);
        } catch (RejectedExecutionException shutDown) {
            task.run();
            return CompletableFuture.completedFuture(null);
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
