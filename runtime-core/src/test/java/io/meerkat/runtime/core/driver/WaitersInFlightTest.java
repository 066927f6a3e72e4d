package io.meerkat.runtime.core.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.core.ingress.Admission;
import io.meerkat.runtime.core.ingress.Ingress;
import io.meerkat.runtime.core.ingress.InputRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handshake that lets a waiter registered after its input finished learn the input's outcome. */
class WaitersInFlightTest {

    private final WaitersInFlight waiters = new WaitersInFlight();
    private final InputRecord record = ((Admission.Accepted) new Ingress(10).admit(Input.prompt("x"), true, 0L)).record();
    private final InputId input = record.id();
    private final CompletionOutcome done = new CompletionOutcome.Completed(RunResult.of("done"));

    @Test
    void aWaiterRegisteredAfterItsInputFinishedGetsTheOutcome() {
        waiters.handedOut(input);
        waiters.handedOut(input);
        waiters.settled(List.of(), done);
        waiters.settled(records(), done);

        assertEquals(done, waiters.registered(input, true));
        assertEquals(done, waiters.registered(input, true), "both waiters on their way get it");
        assertNull(waiters.registered(input, true), "nothing is kept once every waiter is registered");
    }

    @Test
    void aWaiterOfAnInputThatWasRequeuedWaitsForItsNextSettlement() {
        waiters.handedOut(input);
        waiters.settled(records(), new CompletionOutcome.Abandoned("apply failed: flaky"));
        assertNull(waiters.registered(input, false), "a failed run that will be retried ends no waiter");
    }

    @Test
    void aWaiterRegisteredBeforeAnySettlementGetsNothingHere() {
        waiters.handedOut(input);
        assertNull(waiters.registered(input, false));
        assertNull(waiters.registered(InputId.random(), true), "unknown inputs have nothing to pass on");
    }

    private List<InputRecord> records() {
        return List.of(record);
    }
}
