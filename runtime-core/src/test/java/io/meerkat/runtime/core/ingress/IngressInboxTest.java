package io.meerkat.runtime.core.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputRejectedException;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.QueueFullException;
import io.meerkat.runtime.api.RunId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The lock-free way in ({@link Ingress#offer}): what is claimed at once (id, key, bounds), what waits for the
 * driver ({@link Ingress#takeInbox}: the lane, the order), and the two ways a record that was pushed too late
 * gets out again (withdrawn by its submitter, refused by the driver).
 */
class IngressInboxTest {

    private final QueuedPayloadBudget budget = new QueuedPayloadBudget(1_000_000);
    private final Ingress ingress = new Ingress(100, 3, Long.MAX_VALUE, budget);
    private long now = 1_000;

    private static Input keyed(String key) {
        return new Input.Prompt(InputHeader.from(InputSource.OPERATOR).withIdempotencyKey(key), "p");
    }

    @Test
    void anOfferedInputIsClaimedAtOnceAndPlacedWhenTheDriverTakesTheInbox() {
        Input first = Input.prompt("a");
        Input second = Input.prompt("b");
        InputRecord a = ingress.offer(first, now, true);
        InputRecord b = ingress.offer(second, now, false);

        assertNotNull(a);
        assertNotNull(b);
        assertTrue(a.awaited(), "marked before the push, for its settler");
        assertEquals(2, ingress.activeCount(), "counted against the bounds at once");
        assertEquals(0, ingress.depth(Lane.QUEUE), "on no lane until the driver takes it");
        assertNull(ingress.find(first.header().id()), "not visible to lookups while in the inbox");
        assertThrows(InputRejectedException.class, () -> ingress.admit(first, true, now),
                "but its id is claimed: the locked way refuses it");

        assertEquals(List.of(a, b), ingress.takeInbox(true), "placed oldest first");
        assertEquals(2, ingress.depth(Lane.QUEUE));
        assertSame(a, ingress.find(first.header().id()));
        assertEquals(List.of(a, b), ingress.activeRecords());
        assertEquals(List.of(a), ingress.drainNextBatch(10).records(), "in order (a prompt runs alone)");
        assertTrue(ingress.takeInbox(true).isEmpty());
        assertTrue(ingress.inboxEmpty());
    }

    @Test
    void inputsThatReplaceOrAreConsumedOnAcceptanceTakeTheLockedWay() {
        Input progress = new Input.PeerResponseProgress(InputHeader.from(InputSource.PEER), "peer", "r1", "50%");
        Input operation = new Input.Operation(InputHeader.from(InputSource.SYSTEM), "compact", "");

        assertNull(ingress.offer(progress, now, false));
        assertNull(ingress.offer(operation, now, false));
        assertEquals(0, ingress.activeCount(), "nothing claimed");
    }

    @Test
    void aDuplicateIdOrKeyIsLeftToTheLockedWay() {
        Input original = keyed("k");
        assertNotNull(ingress.offer(original, now, false));

        assertNull(ingress.offer(original, now, false), "same id");
        assertNull(ingress.offer(keyed("k"), now, false), "same key");
        assertEquals(1, ingress.activeCount());

        ingress.takeInbox(true);
        Admission again = ingress.admit(keyed("k"), true, now);
        assertInstanceOf(Admission.Deduplicated.class, again);
    }

    @Test
    void anOfferPastTheCountBoundIsRefusedAndClaimsNothing() {
        for (int i = 0; i < 3; i++) {
            assertNotNull(ingress.offer(Input.prompt("x"), now, false));
        }
        Input fourth = keyed("late");
        assertThrows(QueueFullException.class, () -> ingress.offer(fourth, now, false));
        assertEquals(3, ingress.activeCount());
        assertEquals(3 * QueuedPayloadBudget.PER_INPUT_CHARS + 3, budget.used());

        ingress.takeInbox(true);
        Batch batch = ingress.drainNextBatch(1);
        ingress.stage(batch, RunId.random(), now);
        ingress.consume(batch, now);
        assertEquals(2, ingress.activeCount(), "room again once one finished");
        assertNotNull(ingress.offer(fourth, now, false), "the refused offer claimed neither its id nor its key");
    }

    @Test
    void aWithdrawnRecordGivesBackItsIdKeyAndRoom() {
        Input input = keyed("w");
        InputRecord record = ingress.offer(input, now, false);

        assertTrue(ingress.withdraw(record));
        assertEquals(0, ingress.activeCount());
        assertEquals(0, budget.used());
        assertTrue(ingress.takeInbox(true).isEmpty(), "the driver skips it");
        assertEquals(0, ingress.depth(Lane.QUEUE));
        assertInstanceOf(Admission.Accepted.class, ingress.admit(input, true, now), "its id and key are free again");
    }

    @Test
    void aRecordTheDriverRefusedIsOutAndOneItPlacedCannotBeWithdrawn() {
        InputRecord refused = ingress.offer(keyed("r"), now, false);
        assertTrue(ingress.takeInbox(false).isEmpty(), "a session no longer accepting input places nothing");
        assertTrue(Ingress.refused(refused));
        assertTrue(ingress.withdraw(refused), "its submitter learns it is out");
        assertEquals(0, ingress.activeCount(), "given back once, by the driver");
        assertEquals(0, budget.used());

        InputRecord placed = ingress.offer(keyed("r"), now, false);
        ingress.takeInbox(true);
        assertFalse(ingress.withdraw(placed), "placed: it was accepted");
        assertFalse(Ingress.refused(placed));
        assertEquals(InputLifecycleState.QUEUED, placed.state());
        assertEquals(1, ingress.depth(Lane.QUEUE));
    }

    /**
     * Offers from several threads against a driver that takes the inbox, sometimes refusing (as a session that
     * stopped accepting input does), and submitters that withdraw at random: every record ends placed exactly
     * once or out, each key is held by at most one record, and the counts behind the bounds add up.
     */
    @RepeatedTest(5)
    void concurrentOffersWithdrawalsAndTakesAddUp(RepetitionInfo repetition) throws Exception {
        long seed = 0x1B0C5L + repetition.getCurrentRepetition();
        QueuedPayloadBudget runtimeBudget = QueuedPayloadBudget.unbounded();
        Ingress shared = new Ingress(1_000_000, 1_000_000, Long.MAX_VALUE, runtimeBudget);
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        int submitters = 4;
        int offersEach = 20_000;
        CyclicBarrier start = new CyclicBarrier(submitters + 1);
        List<List<InputRecord>> accepted = new ArrayList<>();
        AtomicInteger out = new AtomicInteger();
        AtomicInteger duplicates = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < submitters; t++) {
            List<InputRecord> mine = new ArrayList<>();
            accepted.add(mine);
            Random random = new Random(seed * 31 + t);
            threads.add(new Thread(() -> {
                try {
                    await(start);
                    offer(shared, random, offersEach, mine, out, duplicates);
                } catch (RuntimeException | Error e) {
                    failures.add(e);
                }
            }));
        }
        List<InputRecord> placed = new ArrayList<>();
        Thread driver = new Thread(() -> {
            Random random = new Random(seed);
            await(start);
            while (threads.stream().anyMatch(Thread::isAlive)) {
                synchronized (placed) {
                    placed.addAll(shared.takeInbox(random.nextInt(20) != 0));
                }
                Thread.onSpinWait();
            }
        });
        threads.forEach(Thread::start);
        driver.start();
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
        driver.join(TimeUnit.SECONDS.toMillis(60));
        placed.addAll(shared.takeInbox(true));
        String context = "seed " + seed;
        assertEquals(List.of(), failures, context);

        // A record its submitter kept (neither withdrawn nor seen refused) may still be refused by a later take
        // in this test, which refuses at random after the submitter's check; a session refuses only after its
        // flag turned false, which the submitter reads after its push (see SessionDriver).
        long refusedLate = accepted.stream().flatMap(List::stream).filter(Ingress::refused).count();
        long kept = accepted.stream().flatMap(List::stream).filter(r -> !Ingress.refused(r)).count();
        assertEquals(kept, placed.size(), "every record kept was placed exactly once; " + context);
        assertEquals(placed.size(), placed.stream().distinct().count(), context);
        assertEquals(placed.size(), shared.activeCount(), "counts add up; " + context);
        assertEquals(placed.size(), shared.depth(Lane.QUEUE), context);
        long content = placed.stream().mapToLong(InputRecord::payloadChars).sum();
        assertEquals(content, shared.activeChars(), context);
        assertEquals(placed.size() * QueuedPayloadBudget.PER_INPUT_CHARS + content, runtimeBudget.used(), context);
        List<String> keys = placed.stream().map(InputRecord::idempotencyKey).filter(k -> k != null).toList();
        assertEquals(keys.size(), keys.stream().distinct().count(), "one record per key; " + context);
        assertEquals(submitters * offersEach, placed.size() + out.get() + refusedLate + duplicates.get(), context);
    }

    private static void offer(Ingress shared, Random random, int offers, List<InputRecord> kept, AtomicInteger out,
                              AtomicInteger duplicates) {
        for (int i = 0; i < offers; i++) {
            Input input = random.nextInt(4) == 0 ? keyed("key-" + random.nextInt(500)) : Input.prompt("p");
            InputRecord record = shared.offer(input, 0, false);
            if (record == null) {
                duplicates.incrementAndGet();
            } else if (random.nextInt(10) == 0 && shared.withdraw(record)) {
                out.incrementAndGet();
            } else if (Ingress.refused(record)) {
                out.incrementAndGet();
            } else {
                kept.add(record);
            }
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
