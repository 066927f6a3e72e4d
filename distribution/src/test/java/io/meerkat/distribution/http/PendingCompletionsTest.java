package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.distribution.metrics.RuntimeMetrics;
import io.meerkat.distribution.registry.ActiveRegistry;
import io.meerkat.distribution.registry.SwappableCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PendingCompletionsTest {

    private final InMemoryCompletionRegistry floor = new InMemoryCompletionRegistry();
    private static final long MAX_RETAINED_BYTES = 8L << 20;
    private final java.util.Set<SessionId> deleted = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final PendingCompletions completions = new PendingCompletions(
            new SwappableCompletionRegistry(floor, ActiveRegistry.builtIn(floor)), new RuntimeMetrics(),
            MAX_RETAINED_BYTES, 4_096, id -> !deleted.contains(id));
    private final SessionId session = SessionId.random();
    private final InputId input = InputId.random();

    /** Many polls that time out leave nothing behind on the submitter's future, nor in the API. */
    @Test
    void pollsThatTimeOutPileNothingUp() throws Exception {
        CompletableFuture<CompletionOutcome> submitted = new CompletableFuture<>();
        completions.track(session, input, submitted);
        int dependentsBefore = submitted.getNumberOfDependents();

        List<CompletableFuture<CompletionOutcome>> polls = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            polls.add(completions.poll(session, input, 1 + i % 5).orElseThrow());
        }
        for (CompletableFuture<CompletionOutcome> poll : polls) {
            assertNull(poll.get(10, TimeUnit.SECONDS), "timed out polls answer pending");
        }

        assertEquals(0, completions.waitingPolls());
        assertEquals(dependentsBefore, submitted.getNumberOfDependents());
        assertNull(completions.poll(session, input, 0).orElseThrow().getNow(new CompletionOutcome.CompletedWithoutResult()),
                "a zero timeout answers at once");
    }

    @Test
    void pollsPastTheWaitingCapAreRefusedAndAFinishedPollFreesItsSlot() throws Exception {
        PendingCompletions capped = new PendingCompletions(
                new SwappableCompletionRegistry(floor, ActiveRegistry.builtIn(floor)), new RuntimeMetrics(),
                MAX_RETAINED_BYTES, 2, id -> true);
        CompletableFuture<CompletionOutcome> submitted = new CompletableFuture<>();
        capped.track(session, input, submitted);
        CompletableFuture<CompletionOutcome> first = capped.poll(session, input, 60_000).orElseThrow();
        CompletableFuture<CompletionOutcome> second = capped.poll(session, input, 60_000).orElseThrow();

        ApiException refused = assertThrows(ApiException.class, () -> capped.poll(session, input, 60_000));
        assertEquals(503, refused.status());
        assertEquals("server_busy", refused.code());
        assertNull(capped.poll(session, input, 0).orElseThrow().getNow(new CompletionOutcome.CompletedWithoutResult()),
                "a poll that does not wait is answered past the cap");

        first.complete(null);
        CompletableFuture<CompletionOutcome> third = capped.poll(session, input, 60_000).orElseThrow();
        CompletionOutcome done = new CompletionOutcome.Completed(RunResult.of("done"));
        submitted.complete(done);
        assertEquals(done, second.get(10, TimeUnit.SECONDS));
        assertEquals(done, third.get(10, TimeUnit.SECONDS));
        assertEquals(0, capped.waitingPolls());
    }

    @Test
    void aWaitingPollGetsTheOutcomeAndAFinishedInputIsStillReadable() throws Exception {
        CompletableFuture<CompletionOutcome> submitted = new CompletableFuture<>();
        completions.track(session, input, submitted);
        CompletableFuture<CompletionOutcome> waiting = completions.poll(session, input, 60_000).orElseThrow();

        CompletionOutcome done = new CompletionOutcome.Completed(RunResult.of("done"));
        submitted.complete(done);

        assertEquals(done, waiting.get(10, TimeUnit.SECONDS));
        assertTrue(completions.poll(session, input, 1_000).isEmpty(), "a finished input is no longer pending");
        assertEquals(Optional.of(done), completions.finished(session, input));
        assertEquals(0, completions.waitingPolls());
    }

    @Test
    void deliveredResultsAreBoundedByBytesAndADeletedSessionsAreDropped() {
        String large = "x".repeat(1 << 20);
        SessionId other = SessionId.random();
        for (int i = 0; i < 500; i++) {
            CompletableFuture<CompletionOutcome> submitted = new CompletableFuture<>();
            completions.track(i % 2 == 0 ? session : other, InputId.random(), submitted);
            submitted.complete(new CompletionOutcome.Completed(RunResult.of(large)));
            assertTrue(completions.retainedBytes() <= MAX_RETAINED_BYTES, completions.retainedBytes() + " bytes");
        }
        assertTrue(completions.retainedBytes() > MAX_RETAINED_BYTES / 2);

        completions.forgetSession(session);
        completions.forgetSession(other);
        assertEquals(0, completions.retainedBytes());

        deleted.add(session);
        CompletableFuture<CompletionOutcome> lastOfDeleted = new CompletableFuture<>();
        completions.track(session, input, lastOfDeleted);
        lastOfDeleted.complete(new CompletionOutcome.RuntimeTerminated("runtime destroyed"));
        assertEquals(0, completions.retainedBytes(), "a deleted session's late outcome is not kept");
    }
}
