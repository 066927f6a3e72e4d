package io.meerkat.distribution.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RunObserver;
import org.junit.jupiter.api.Test;

/** Run durations and control latency, as the runtime's {@link RunObserver} calls reach the metrics. */
class RuntimeMetricsTest {

    private final RuntimeMetrics metrics = new RuntimeMetrics();
    private final RunObserver runs = metrics.runObserver();
    private final SessionId session = SessionId.random();

    @Test
    void runsAreTimedByHowTheyEnded() {
        for (RunObserver.RunEnd end : RunObserver.RunEnd.values()) {
            RunId run = RunId.random();
            runs.runStarted(session, run);
            runs.runEnded(session, run, end);
        }
        RunId another = RunId.random();
        runs.runStarted(session, another);
        runs.runEnded(session, another, RunObserver.RunEnd.COMPLETED);

        String scraped = metrics.scrape();
        assertTrue(scraped.contains("meerkat_run_duration_seconds_count{result=\"completed\"} 2"), scraped);
        assertTrue(scraped.contains("meerkat_run_duration_seconds_count{result=\"failed\"} 1"), scraped);
        assertTrue(scraped.contains("meerkat_run_duration_seconds_count{result=\"cancelled\"} 1"), scraped);
        assertTrue(scraped.contains("meerkat_run_duration_seconds_count{result=\"timed_out\"} 1"), scraped);
    }

    @Test
    void aControlCommandIsTimedToTheEndOfTheRunItFound() {
        metrics.controlRequested(session, "cancel_current_run");
        assertFalse(metrics.scrape().contains("meerkat_control_latency"), "no run in flight: nothing to time");

        RunId run = RunId.random();
        runs.runStarted(session, run);
        metrics.controlRequested(session, "cancel_current_run");
        runs.runEnded(session, run, RunObserver.RunEnd.CANCELLED);

        String scraped = metrics.scrape();
        assertTrue(scraped.contains("meerkat_control_latency_seconds_count{command=\"cancel_current_run\"} 1"), scraped);
    }

    @Test
    void theEndOfAnotherRunDoesNotTakeTheStartOfTheRunInFlight() {
        RunId earlier = RunId.random();
        RunId current = RunId.random();
        runs.runStarted(session, current);
        runs.runEnded(session, earlier, RunObserver.RunEnd.CANCELLED);
        assertFalse(metrics.scrape().contains("meerkat_run_duration_seconds_count"), "not the run in flight");

        runs.runEnded(session, current, RunObserver.RunEnd.COMPLETED);
        assertTrue(metrics.scrape().contains("meerkat_run_duration_seconds_count{result=\"completed\"} 1"));
    }

    @Test
    void aClosedSessionIsForgotten() {
        RunId run = RunId.random();
        runs.runStarted(session, run);
        runs.sessionClosed(session);
        metrics.controlRequested(session, "stop_runtime_executor");
        runs.runEnded(session, run, RunObserver.RunEnd.COMPLETED);

        String scraped = metrics.scrape();
        assertFalse(scraped.contains("meerkat_control_latency"), scraped);
        assertFalse(scraped.contains("meerkat_run_duration_seconds_count"), "its run's end is not counted: " + scraped);
    }
}
