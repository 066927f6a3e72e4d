package io.meerkat.distribution.metrics;

import io.meerkat.distribution.WireNames;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RunObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The launcher's Prometheus metrics ({@code GET /metrics}):
 * <ul>
 *   <li>{@code meerkat_sessions{state}}: sessions by state, read when scraped;</li>
 *   <li>{@code meerkat_inputs_total{outcome}}: inputs submitted through the API, by final outcome;</li>
 *   <li>{@code meerkat_run_duration_seconds{result}}: run durations (completed, failed, cancelled, timed_out);</li>
 *   <li>{@code meerkat_control_latency_seconds{command}}: from an out-of-band command's arrival to the end
 *       of the run it was aimed at;</li>
 *   <li>{@code meerkat_retained_result_bytes}: the finished inputs' outcomes kept for late readers (the API's
 *       and the completion registry's), in bytes as they are counted against their bound.</li>
 * </ul>
 * Thread safe. Runs are timed by the {@link #runObserver()} the runtime is built with (every session's, recovered
 * ones included); sessions are counted from the runtime handed to {@link #watchSessions}.
 */
public final class RuntimeMetrics {

    /** Histogram buckets: from a few milliseconds (a cancel) to a minute (a long LLM call). */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(60)};

    private final PrometheusMeterRegistry registry;
    private final Map<String, Counter> inputsByOutcome = new ConcurrentHashMap<>();
    private final Map<String, Timer> runsByResult = new ConcurrentHashMap<>();
    private final Map<String, Timer> controlByCommand = new ConcurrentHashMap<>();
    /** Per session that ran: when the run in flight started, and a pending control command's arrival. */
    private final Map<SessionId, RunClock> clocks = new ConcurrentHashMap<>();
    private final RunTimer runs = new RunTimer();

    public RuntimeMetrics() {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** Reports {@code runtime}'s sessions by state as {@code meerkat_sessions}, counted when scraped. */
    public void watchSessions(MeerkatRuntime runtime) {
        for (RuntimeState state : RuntimeState.values()) {
            Gauge.builder("meerkat.sessions", runtime, r -> countSessions(r).get(state))
                    .description("Sessions by state")
                    .tag("state", WireNames.state(state))
                    .register(registry);
        }
    }

    /** What to hand the runtime's builder ({@code runObserver}): the runs of every session, timed. */
    public RunObserver runObserver() {
        return runs;
    }

    /** Reports {@code bytes} as {@code meerkat_retained_result_bytes}, read when scraped. */
    public void watchRetainedResults(LongSupplier bytes) {
        Gauge.builder("meerkat.retained.result.bytes", bytes, supplier -> supplier.getAsLong())
                .description("Bytes of finished inputs' outcomes kept for late readers")
                .strongReference(true)
                .register(registry);
    }

    /** Counts one input's final outcome. */
    public void recordOutcome(CompletionOutcome outcome) {
        String name = WireNames.outcome(outcome);
        inputsByOutcome.computeIfAbsent(name, key -> Counter.builder("meerkat.inputs")
                .description("Inputs submitted through the API, by final outcome")
                .tag("outcome", key)
                .register(registry)).increment();
    }

    /** Notes that an out-of-band command reached a session; its latency is taken when the run ends. */
    public void controlRequested(SessionId sessionId, String command) {
        RunClock clock = clocks.get(sessionId);
        if (clock != null) {
            clock.controlRequested(command, System.nanoTime());
        }
    }

    /** The metrics in the Prometheus text format. */
    public String scrape() {
        return registry.scrape();
    }

    /** Times runs and control commands; called by the sessions' loops, so it only reads the clock and records. */
    private final class RunTimer implements RunObserver {

        @Override
        public void runStarted(SessionId sessionId, RunId runId) {
            clocks.computeIfAbsent(sessionId, id -> new RunClock()).runStarted(runId, System.nanoTime());
        }

        @Override
        public void runEnded(SessionId sessionId, RunId runId, RunEnd end) {
            RunClock clock = clocks.get(sessionId);
            if (clock == null) {
                return;
            }
            long now = System.nanoTime();
            RunClock.Ended ended = clock.runEnded(runId, now);
            if (ended.startedAt() != 0) {
                timer(runsByResult, "meerkat.run.duration", "Run durations", "result", resultName(end))
                        .record(now - ended.startedAt(), TimeUnit.NANOSECONDS);
            }
            if (ended.controlCommand() != null) {
                timer(controlByCommand, "meerkat.control.latency",
                        "From an out-of-band command's arrival to the end of the run it aimed at", "command",
                        ended.controlCommand()).record(now - ended.controlAt(), TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void sessionClosed(SessionId sessionId) {
            clocks.remove(sessionId);
        }
    }

    private static String resultName(RunObserver.RunEnd end) {
        return switch (end) {
            case COMPLETED -> "completed";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
            case TIMED_OUT -> "timed_out";
        };
    }

    private Timer timer(Map<String, Timer> timers, String name, String description, String tag, String value) {
        return timers.computeIfAbsent(value, key -> Timer.builder(name)
                .description(description)
                .tag(tag, key)
                .serviceLevelObjectives(BUCKETS)
                .register(registry));
    }

    private static Map<RuntimeState, Integer> countSessions(MeerkatRuntime runtime) {
        Map<RuntimeState, Integer> counts = new EnumMap<>(RuntimeState.class);
        for (RuntimeState state : RuntimeState.values()) {
            counts.put(state, 0);
        }
        for (SessionHandle session : runtime.sessions()) {
            counts.merge(session.state(), 1, Integer::sum);
        }
        return counts;
    }
}
