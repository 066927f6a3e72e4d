package io.meerkat.distribution.metrics;

import io.meerkat.distribution.WireNames;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
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
 * Thread safe; it watches the events of every session handed to {@link #watch}.
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
    /** Per session: when the run in flight started, and a pending control command's arrival. */
    private final Map<SessionId, RunClock> clocks = new ConcurrentHashMap<>();

    public RuntimeMetrics(MeerkatRuntime runtime) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (RuntimeState state : RuntimeState.values()) {
            Gauge.builder("meerkat.sessions", runtime, r -> countSessions(r).get(state))
                    .description("Sessions by state")
                    .tag("state", WireNames.state(state))
                    .register(registry);
        }
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

    /** Watches a session's events for run durations and control latency, until its stream ends. */
    public void watch(SessionHandle session) {
        RunClock clock = new RunClock();
        clocks.put(session.id(), clock);
        session.events().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(RuntimeEventEnvelope envelope) {
                if (envelope.event() instanceof RuntimeEvent.RunLifecycle lifecycle) {
                    onRunEvent(clock, lifecycle.event());
                }
            }

            @Override
            public void onError(Throwable throwable) {
                clocks.remove(session.id(), clock);
            }

            @Override
            public void onComplete() {
                clocks.remove(session.id(), clock);
            }
        });
    }

    /** The metrics in the Prometheus text format. */
    public String scrape() {
        return registry.scrape();
    }

    private void onRunEvent(RunClock clock, RunEvent event) {
        long now = System.nanoTime();
        String result;
        if (event instanceof RunEvent.RunStarted) {
            clock.runStarted(now);
            return;
        } else if (event instanceof RunEvent.RunCompleted) {
            result = "completed";
        } else if (event instanceof RunEvent.RunFailed) {
            result = "failed";
        } else if (event instanceof RunEvent.RunCancelled) {
            result = "cancelled";
        } else if (event instanceof RunEvent.RunTimedOut) {
            result = "timed_out";
        } else {
            return;
        }
        RunClock.Ended ended = clock.runEnded(now);
        if (ended.startedAt() != 0) {
            timer(runsByResult, "meerkat.run.duration", "Run durations", "result", result)
                    .record(Duration.ofNanos(now - ended.startedAt()));
        }
        if (ended.controlCommand() != null) {
            timer(controlByCommand, "meerkat.control.latency",
                    "From an out-of-band command's arrival to the end of the run it aimed at", "command",
                    ended.controlCommand()).record(Duration.ofNanos(now - ended.controlAt()));
        }
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
