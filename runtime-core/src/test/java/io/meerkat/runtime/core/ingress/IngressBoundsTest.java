package io.meerkat.runtime.core.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.PayloadTooLargeException;
import io.meerkat.runtime.api.QueueFullException;
import io.meerkat.runtime.api.RunId;
import org.junit.jupiter.api.Test;

/** The ingress holds at most so many unfinished inputs and so much of their content; finished ones hold none. */
class IngressBoundsTest {

    private long now = 1_000;

    private static Input prompt(String text) {
        return Input.prompt(text);
    }

    private static Input keyed(String key, String text) {
        return new Input.Prompt(InputHeader.from(InputSource.OPERATOR).withIdempotencyKey(key), text);
    }

    private InputRecord admit(Ingress ingress, Input input) {
        return ((Admission.Accepted) ingress.admit(input, true, now++)).record();
    }

    private void finishNextRun(Ingress ingress) {
        Batch batch = ingress.drainNextBatch(1);
        ingress.stage(batch, RunId.random(), now);
        ingress.consume(batch, now);
    }

    @Test
    void anInputPastTheCountBoundIsRefusedAndStoresNothing() {
        Ingress ingress = new Ingress(100, 2, Long.MAX_VALUE, QueuedPayloadBudget.unbounded());
        admit(ingress, prompt("a"));
        admit(ingress, prompt("b"));

        Input third = prompt("c");
        QueueFullException refused = assertThrows(QueueFullException.class, () -> ingress.admit(third, true, now));

        assertEquals("queue_full", refused.code());
        assertEquals(2, ingress.activeCount());
        assertEquals(2, ingress.depth(Lane.QUEUE));
        assertNull(ingress.find(third.header().id()));
        finishNextRun(ingress);
        assertNotNull(admit(ingress, third), "room again once an input finished");
    }

    @Test
    void aDuplicateOfAQueuedInputIsStillDeduplicatedWhenTheQueueIsFull() {
        Ingress ingress = new Ingress(100, 1, Long.MAX_VALUE, QueuedPayloadBudget.unbounded());
        InputRecord first = admit(ingress, keyed("k1", "a"));

        Admission again = ingress.admit(keyed("k1", "a"), true, now);

        assertSame(first, assertInstanceOf(Admission.Deduplicated.class, again).existing());
    }

    @Test
    void theSessionsContentBoundCountsTextAndKeys() {
        Ingress ingress = new Ingress(100, 100, 10, QueuedPayloadBudget.unbounded());
        admit(ingress, prompt("12345"));
        assertThrows(QueueFullException.class, () -> ingress.admit(keyed("kk", "1234"), true, now));
        admit(ingress, keyed("k", "1234"));
        assertEquals(10, ingress.activeChars());
    }

    @Test
    void sessionsShareTheRuntimeBudgetAndGiveItBackWhenTheirInputsEnd() {
        long perInput = QueuedPayloadBudget.PER_INPUT_CHARS;
        QueuedPayloadBudget budget = new QueuedPayloadBudget(10 + 2 * perInput);
        Ingress one = new Ingress(100, 100, 100, budget);
        Ingress two = new Ingress(100, 100, 100, budget);
        admit(one, prompt("123456"));
        admit(two, prompt("1234"));

        assertThrows(QueueFullException.class, () -> two.admit(prompt(""), true, now));
        assertEquals(10 + 2 * perInput, budget.used());

        one.abandonAll(AbandonReason.DESTROYED, now);
        assertEquals(4 + perInput, budget.used());
        admit(two, prompt("123456"));
        finishNextRun(two);
        finishNextRun(two);
        assertEquals(0, budget.used());
        assertEquals(0, two.activeChars());
    }

    @Test
    void manyTinyInputsExhaustTheRuntimeBudgetToo() {
        QueuedPayloadBudget budget = new QueuedPayloadBudget(100 * QueuedPayloadBudget.PER_INPUT_CHARS);
        Ingress ingress = new Ingress(100, 1_000, 1_000, budget);
        for (int i = 0; i < 100; i++) {
            admit(ingress, prompt(""));
        }
        assertThrows(QueueFullException.class, () -> ingress.admit(prompt(""), true, now));
    }

    @Test
    void aFinishedInputLetsGoOfItsContentButKeepsItsStatusAndKey() {
        Ingress ingress = new Ingress(100);
        InputRecord record = admit(ingress, keyed("k1", "x".repeat(1000)));
        finishNextRun(ingress);

        assertNull(record.input(), "the finished record must not keep the payload alive");
        assertEquals(InputLifecycleState.CONSUMED, ingress.find(record.id()).toStatus().state());
        assertInstanceOf(Admission.Deduplicated.class, ingress.admit(keyed("k1", "again"), true, now));
    }

    @Test
    void keysCountTowardThePayloadLimit() {
        InputValidator validator = new InputValidator(10);
        validator.validate(keyed("k", "123456789"));
        assertThrows(PayloadTooLargeException.class, () -> validator.validate(keyed("kk", "123456789")));
        assertThrows(PayloadTooLargeException.class, () -> validator.validate(new Input.Prompt(
                InputHeader.from(InputSource.OPERATOR).withCorrelationId("c".repeat(11)), "")));
    }

    @Test
    void finishedInputsKeepAtMostTheContentBoundInIdempotencyKeys() {
        Ingress ingress = new Ingress(10_000, 100, 100, QueuedPayloadBudget.unbounded());
        InputRecord first = admit(ingress, keyed("a".repeat(40), ""));
        finishNextRun(ingress);
        InputRecord second = admit(ingress, keyed("b".repeat(40), ""));
        finishNextRun(ingress);
        InputRecord third = admit(ingress, keyed("c".repeat(40), ""));
        finishNextRun(ingress);

        assertNull(ingress.find(first.id()), "120 characters of keys kept would pass the bound of 100");
        assertSame(second, ingress.find(second.id()));
        assertSame(third, ingress.find(third.id()));
        assertInstanceOf(Admission.Accepted.class, ingress.admit(keyed("a".repeat(40), ""), true, now),
                "the evicted key went with its record");
    }
}
