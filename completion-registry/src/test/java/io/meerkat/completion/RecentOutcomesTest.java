package io.meerkat.completion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Remembered outcomes are bounded by bytes as well as by count, and a session's can be forgotten at once. */
class RecentOutcomesTest {

    private static final int MIB = 1 << 20;
    /** One string shared by every large result: the counting is under test, not the heap. */
    private static final String ONE_MIB = "x".repeat(MIB);

    private static CompletionOutcome result(int chars) {
        return new CompletionOutcome.Completed(RunResult.of(chars == MIB ? ONE_MIB : "x".repeat(chars)));
    }

    @Test
    void largeResultsAreEvictedOldestFirstOnceTheirBytesPassTheBound() {
        long oneResult = RecentOutcomes.sizeOf(result(MIB));
        RecentOutcomes recent = new RecentOutcomes(10_000, 3 * oneResult);
        SessionId session = SessionId.random();
        List<InputId> inputs = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            InputId input = InputId.random();
            inputs.add(input);
            recent.record(session, input, result(MIB));
            assertTrue(recent.bytes() <= recent.maxBytes(), "bound passed after " + (i + 1) + " results");
        }

        assertEquals(3, recent.size());
        assertEquals(3 * oneResult, recent.bytes());
        assertEquals(Optional.empty(), recent.get(session, inputs.get(496)));
        assertTrue(recent.get(session, inputs.get(499)).isPresent());
    }

    @Test
    void anOutcomeLargerThanTheBoundIsNotKept() {
        RecentOutcomes recent = new RecentOutcomes(10, 1_000);
        SessionId session = SessionId.random();
        InputId small = InputId.random();
        recent.record(session, small, result(10));
        recent.record(session, InputId.random(), result(10_000));

        assertEquals(0, recent.bytes());
        assertEquals(Optional.empty(), recent.get(session, small), "evicted oldest first to make room, in vain");
    }

    @Test
    void replacingAnOutcomeCountsOnlyTheNewOne() {
        RecentOutcomes recent = new RecentOutcomes(10, 1 << 20);
        SessionId session = SessionId.random();
        InputId input = InputId.random();
        recent.record(session, input, result(1_000));
        recent.record(session, input, result(10));
        assertEquals(RecentOutcomes.sizeOf(result(10)), recent.bytes());
    }

    @Test
    void forgettingASessionDropsItsOutcomesAndTheirBytes() {
        RecentOutcomes recent = new RecentOutcomes(10_000, 1L << 40);
        SessionId gone = SessionId.random();
        SessionId kept = SessionId.random();
        for (int i = 0; i < 500; i++) {
            recent.record(gone, InputId.random(), result(MIB));
        }
        InputId keptInput = InputId.random();
        recent.record(kept, keptInput, result(10));
        assertTrue(recent.bytes() > 500L * MIB);

        recent.forget(gone);

        assertEquals(1, recent.size());
        assertEquals(RecentOutcomes.sizeOf(result(10)), recent.bytes());
        assertTrue(recent.get(kept, keptInput).isPresent());
    }
}
