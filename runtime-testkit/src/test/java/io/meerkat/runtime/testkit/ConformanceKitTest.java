package io.meerkat.runtime.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/** The kit itself: an executor whose {@code apply} blocks fails the kit fast, with what to do, instead of hanging it. */
class ConformanceKitTest {

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aBlockingApplyFailsWithinPatienceSayingToUseTheBlockingExecutor() {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectMethod(BlockingApplyConformance.class, "aRunCompletesWithAnOutputForThatRun"))
                .execute();
        results.testEvents().assertStatistics(stats -> stats.started(1).failed(1));
        String message = failures(results).get(0).getMessage();
        assertEquals("apply did not return within " + BlockingApplyConformance.PATIENCE.toMillis() + " ms: the runtime "
                + "calls the SPI on threads that must not block. Return at once and do the blocking work on "
                + "context.blockingExecutor() (or your own thread), completing the stage from there.", message);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void everyTestOfTheKitEndsAgainstABlockingExecutor() {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(BlockingApplyConformance.class))
                .execute();
        long started = results.testEvents().started().count();
        assertTrue(started >= 10, "the kit's tests ran: " + started);
        assertEquals(started, results.testEvents().finished().count(), "every test finished");
        // Only the tests that need no run pass: a cancel with no run in flight, control after stop, an invalid config.
        assertTrue(results.testEvents().failed().count() >= started - 3,
                "the tests that apply fail: " + failures(results));
        for (Throwable failure : failures(results)) {
            assertTrue(failure.getMessage() != null && (failure.getMessage().contains("blockingExecutor()")
                    || failure.getMessage().contains("did not complete within")), "a failure says what is wrong: " + failure);
        }
    }

    private static List<Throwable> failures(EngineExecutionResults results) {
        return results.testEvents().failed().stream()
                .map(Event::getPayload)
                .map(payload -> payload.map(TestExecutionResult.class::cast).flatMap(TestExecutionResult::getThrowable)
                        .orElseThrow())
                .toList();
    }
}
