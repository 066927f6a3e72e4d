package io.meerkat.benchmarks;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retained heap per idle session: not a JMH benchmark but a plain {@code main}; run it with
 * {@code -Xms1g -Xmx1g}.
 *
 * <p>It measures the heap in use after a forced collection ({@code System.gc()} several times, then
 * {@link MemoryMXBean#getHeapMemoryUsage()}), creates {@value #SESSIONS} idle sessions on one runtime
 * (a {@link NoOpExecutor} each, no input ever submitted), measures again and prints
 * {@code (after − before) / sessions}. Everything a session keeps alive is included: its handle,
 * driver, control machine, ingress (ledger, lanes), event publisher stub, runtime loop, executor,
 * executor context and its entry in the runtime's session map. The runtime itself and its pools are
 * created before the first measurement and so are excluded. The same is done, in the same JVM, for a
 * {@code ConcurrentHashMap<UUID, Object>} holding {@value #SESSIONS} small objects: the scale of "a map
 * entry with a key and a tiny value".
 *
 * <p>Arguments: an optional session count (default {@value #SESSIONS}).
 */
public final class IdleSessionMemoryBenchmark {

    static final int SESSIONS = 100_000;

    private IdleSessionMemoryBenchmark() {
    }

    /** A small value object: one field, 16 bytes with compressed oops. */
    private record Small(int value) {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : SESSIONS;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.out.printf("JVM %s, max heap %d MiB, %d cpus%n", System.getProperty("java.vm.version"),
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());

        // Warm the classes up once, so class loading does not count as per-session memory.
        System.out.println("warm-up:");
        measureSessions(1_000, memory);
        measureMap(1_000, memory);

        System.out.println("measured:");
        double mapBytes = measureMap(n, memory);
        double sessionBytes = measureSessions(n, memory);
        System.out.printf("baseline ConcurrentHashMap<UUID,Object>: %,.0f bytes per entry%n", mapBytes);
        System.out.printf("idle session: %,.0f bytes per session (%.2f KiB), %.1fx a map entry%n",
                sessionBytes, sessionBytes / 1024, sessionBytes / mapBytes);
        System.out.printf("%,d idle sessions: %,.1f MiB of a %,d MiB heap%n", n, sessionBytes * n / (1 << 20),
                Runtime.getRuntime().maxMemory() >> 20);
    }

    private static double measureSessions(int n, MemoryMXBean memory) {
        InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
        MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(NoOpExecutor.FACTORY)
                .completionRegistry(registry)
                .build();
        try {
            SessionHandle warm = runtime.createSession(SessionSpec.of(NoOpExecutor.KIND));
            long before = usedAfterGc(memory);
            SessionHandle[] keep = new SessionHandle[n];
            long arrayBytes = 16L + 4L * n; // the array above: not the sessions' cost
            for (int i = 0; i < n; i++) {
                keep[i] = runtime.createSession(SessionSpec.of(NoOpExecutor.KIND));
            }
            long after = usedAfterGc(memory);
            if (runtime.sessions().size() != n + 1 || keep[n - 1] == null || warm == null) {
                throw new IllegalStateException("sessions missing");
            }
            double perSession = (double) (after - before - arrayBytes) / n;
            System.out.printf("  %,d sessions: heap %,d -> %,d bytes (%,.1f MiB used of %,d MiB)%n", n, before,
                    after, after / 1048576.0, Runtime.getRuntime().maxMemory() >> 20);
            return perSession;
        } finally {
            runtime.close();
            registry.close();
        }
    }

    private static double measureMap(int n, MemoryMXBean memory) {
        long before = usedAfterGc(memory);
        ConcurrentHashMap<UUID, Object> map = new ConcurrentHashMap<>();
        for (int i = 0; i < n; i++) {
            map.put(UUID.randomUUID(), new Small(i));
        }
        long after = usedAfterGc(memory);
        if (map.size() != n) {
            throw new IllegalStateException("entries missing");
        }
        return (double) (after - before) / n;
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
