package io.meerkat.runtime.core.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.HandlingMode;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class IngressTest {

    private final Ingress ingress = new Ingress(100);
    private long now = 1_000;

    private InputRecord admit(Input input) {
        return ((Admission.Accepted) ingress.admit(input, true, now++)).record();
    }

    private static Input event(String text) {
        return Input.externalEvent("tick", text);
    }

    private static Input progress(String request, String text) {
        return new Input.PeerResponseProgress(InputHeader.from(InputSource.PEER), "peer", request, text);
    }

    @Test
    void aPromptRunsAloneAndConsecutiveNonPromptsRunTogether() {
        InputRecord e1 = admit(event("1"));
        InputRecord e2 = admit(event("2"));
        InputRecord p = admit(Input.prompt("p"));
        InputRecord e3 = admit(event("3"));

        assertEquals(List.of(e1, e2), ingress.drainNextBatch(10).records());
        assertEquals(List.of(p), ingress.drainNextBatch(10).records());
        assertEquals(List.of(e3), ingress.drainNextBatch(10).records());
        assertNull(ingress.drainNextBatch(10));
    }

    @Test
    void theSteerLaneGoesFirstAtARunCheckpoint() {
        admit(Input.prompt("queued"));
        InputRecord steer = admit(new Input.Continuation(InputHeader.from(InputSource.SYSTEM), "resume"));

        Batch batch = ingress.drainNextBatch(10);

        assertEquals(List.of(steer), batch.records());
        assertEquals(RunBoundary.RUN_CHECKPOINT, batch.boundary());
        assertEquals(Lane.STEER, steer.lane());
    }

    @Test
    void aHandlingModeOverridesTheLane() {
        InputRecord steered = admit(new Input.Prompt(
                InputHeader.from(InputSource.OPERATOR).withHandlingMode(HandlingMode.STEER), "now"));
        assertEquals(Lane.STEER, steered.lane());
    }

    @Test
    void batchesAreCappedAtTheMaximumSize() {
        for (int i = 0; i < 5; i++) {
            admit(event("e" + i));
        }
        assertEquals(2, ingress.drainNextBatch(2).records().size());
        assertEquals(3, ingress.depth(Lane.QUEUE));
    }

    @Test
    void fifoKindsKeepEveryInputWithTheSameSupersessionKeyAsTheOriginalsPolicyTable() {
        List<InputRecord> kept = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            kept.add(admit(new Input.Prompt(InputHeader.from(InputSource.OPERATOR).withSupersessionKey("status"), "p" + i)));
            kept.add(admit(new Input.ExternalEvent(InputHeader.from(InputSource.EXTERNAL).withSupersessionKey("status"),
                    "webhook", "e" + i)));
        }

        for (InputRecord record : kept) {
            assertEquals(InputLifecycleState.QUEUED, record.state(), "a FIFO input is never replaced");
        }
        assertEquals(4, ingress.depth(Lane.QUEUE));
    }

    @Test
    void progressWithASupersessionKeyCoalescesByKindAndKeyAcrossRequests() {
        InputRecord first = admit(new Input.PeerResponseProgress(
                InputHeader.from(InputSource.PEER).withSupersessionKey("build"), "peer", "r1", "10%"));
        InputRecord second = admit(new Input.PeerResponseProgress(
                InputHeader.from(InputSource.PEER).withSupersessionKey("build"), "other", "r2", "20%"));
        InputRecord keyless = admit(progress("r1", "30%"));

        assertEquals(InputLifecycleState.COALESCED, first.state());
        assertEquals(second.id(), first.supersededBy());
        assertEquals(List.of(second, keyless), ingress.drainNextBatch(10).records());
    }

    @Test
    void aNewProgressReportCoalescesEveryQueuedOneOfItsScopeAfterARollback() {
        InputRecord v1 = admit(progress("r1", "v1"));
        Batch run = ingress.drainNextBatch(10);
        ingress.stage(run, RunId.random(), now);
        InputRecord v2 = admit(progress("r1", "v2"));
        assertEquals(InputLifecycleState.QUEUED, v2.state(), "a staged report is not replaced");
        ingress.rollback(run, "boom", now, RetryPolicy.DEFAULT_MAX_ATTEMPTS);
        assertEquals(InputLifecycleState.QUEUED, v1.state());

        Admission.Accepted v3 = (Admission.Accepted) ingress.admit(progress("r1", "v3"), true, now++);

        assertEquals(List.of(v1, v2), v3.displaced());
        assertEquals(InputLifecycleState.COALESCED, v1.state());
        assertEquals(InputLifecycleState.COALESCED, v2.state());
        assertEquals(v3.record().id(), v1.supersededBy());
        assertEquals(List.of(v3.record()), ingress.drainNextBatch(10).records());
        assertEquals(1, ingress.activeCount());
    }

    @Test
    void progressOnTheSameRequestCoalesces() {
        InputRecord first = admit(progress("r1", "10%"));
        InputRecord other = admit(progress("r2", "50%"));
        InputRecord second = admit(progress("r1", "20%"));

        assertEquals(InputLifecycleState.COALESCED, first.state());
        assertEquals(InputLifecycleState.QUEUED, other.state());
        assertEquals(List.of(other, second), ingress.drainNextBatch(10).records());
    }

    @Test
    void anOperationIsConsumedOnAcceptance() {
        InputRecord op = admit(new Input.Operation(InputHeader.from(InputSource.SYSTEM), "compact", ""));
        assertEquals(InputLifecycleState.CONSUMED, op.state());
        assertEquals(0, ingress.activeCount());
        assertNull(ingress.drainNextBatch(10));
    }

    @Test
    void aDuplicateIdempotencyKeyReturnsTheExistingInput() {
        InputRecord first = admit(new Input.Prompt(InputHeader.from(InputSource.OPERATOR).withIdempotencyKey("k"), "a"));
        Admission again = ingress.admit(
                new Input.Prompt(InputHeader.from(InputSource.OPERATOR).withIdempotencyKey("k"), "b"), true, now);

        assertSame(first, assertInstanceOf(Admission.Deduplicated.class, again).existing());
        assertEquals(1, ingress.depth(Lane.QUEUE));
    }

    @Test
    void theSameInputIdCannotBeSubmittedTwice() {
        Input input = Input.prompt("once");
        admit(input);
        assertThrows(io.meerkat.runtime.api.InputRejectedException.class, () -> ingress.admit(input, true, now));
    }

    @Test
    void aFailedBatchGoesBackToTheFrontInOrderAndIsAbandonedAfterThreeAttempts() {
        InputRecord a = admit(event("a"));
        InputRecord b = admit(event("b"));
        for (int attempt = 1; attempt <= RetryPolicy.DEFAULT_MAX_ATTEMPTS; attempt++) {
            Batch batch = ingress.drainNextBatch(10);
            assertEquals(List.of(a, b), batch.records(), "attempt " + attempt);
            ingress.stage(batch, RunId.random(), now);
            admit(Input.prompt("later " + attempt));
            List<InputRecord> exhausted = ingress.rollback(batch, "boom", now, RetryPolicy.DEFAULT_MAX_ATTEMPTS);
            if (attempt < RetryPolicy.DEFAULT_MAX_ATTEMPTS) {
                assertEquals(List.of(), exhausted);
                assertEquals(InputLifecycleState.QUEUED, a.state());
            } else {
                assertEquals(List.of(a, b), exhausted);
            }
        }
        assertEquals(AbandonReason.MAX_ATTEMPTS_EXHAUSTED, a.abandonReason());
        assertEquals(3, a.attempts());
    }

    @Test
    void everyInputKeepsItsHistory() {
        InputRecord record = admit(Input.prompt("p"));
        Batch batch = ingress.drainNextBatch(10);
        ingress.stage(batch, RunId.random(), now);
        ingress.consume(batch, now);

        List<InputLifecycleState> path = record.toStatus().history().stream().map(InputTransitionRecord::to).toList();
        assertEquals(List.of(InputLifecycleState.ACCEPTED, InputLifecycleState.QUEUED, InputLifecycleState.STAGED,
                InputLifecycleState.APPLIED, InputLifecycleState.APPLIED_PENDING_CONSUMPTION,
                InputLifecycleState.CONSUMED), path);
        assertNull(record.toStatus().history().get(0).from());
    }

    @Test
    void finishedInputsAreEvictedOldestFirstBeyondTheRetention() {
        Ingress small = new Ingress(2);
        List<InputRecord> records = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            records.add(((Admission.Accepted) small.admit(
                    new Input.Operation(InputHeader.from(InputSource.SYSTEM), "op", ""), true, now)).record());
        }
        assertNull(small.find(records.get(0).id()));
        assertNull(small.find(records.get(1).id()));
        assertSame(records.get(3), small.find(records.get(3).id()));
    }
}
