package io.meerkat.completion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CompletionOutcome.Abandoned;
import io.meerkat.runtime.api.CompletionOutcome.CallbackPending;
import io.meerkat.runtime.api.CompletionOutcome.Completed;
import io.meerkat.runtime.api.CompletionOutcome.CompletedWithoutResult;
import io.meerkat.runtime.api.CompletionOutcome.RuntimeTerminated;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.HashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class InMemoryCompletionRegistryTest {

    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private final SessionId s1 = SessionId.random();
    private final SessionId s2 = SessionId.random();

    private static CompletableFuture<CompletionOutcome> waiter() {
        return new CompletableFuture<>();
    }

    private CompletableFuture<CompletionOutcome> registered(SessionId session, InputId input) {
        CompletableFuture<CompletionOutcome> waiter = waiter();
        registry.register(session, input, waiter);
        return waiter;
    }

    static Stream<CompletionOutcome> outcomes() {
        return Stream.of(
                new Completed(RunResult.of("hello")),
                new CompletedWithoutResult(),
                new CallbackPending("search", "{\"q\":\"x\"}"),
                new Abandoned("superseded"),
                new RuntimeTerminated("runtime stopped"));
    }

    @ParameterizedTest
    @MethodSource("outcomes")
    void everyOutcomeReachesTheWaiter(CompletionOutcome outcome) {
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> waiter = registered(s1, input);
        assertFalse(waiter.isDone());

        assertEquals(1, registry.resolve(s1, input, outcome));

        assertSame(outcome, waiter.join());
        assertEquals(0, registry.pendingCount(s1));
    }

    @Test
    void severalWaitersOfOneInputAreAllResolvedAndRemoved() {
        InputId input = InputId.random();
        InputId other = InputId.random();
        List<CompletableFuture<CompletionOutcome>> waiters =
                List.of(registered(s1, input), registered(s1, input), registered(s1, input));
        CompletableFuture<CompletionOutcome> otherWaiter = registered(s1, other);
        CompletionOutcome outcome = new CompletedWithoutResult();

        assertEquals(3, registry.resolve(s1, input, outcome));

        waiters.forEach(w -> assertSame(outcome, w.join()));
        assertFalse(otherWaiter.isDone());
        assertEquals(0, registry.resolve(s1, input, new Abandoned("again")), "second resolve");
        waiters.forEach(w -> assertSame(outcome, w.join()));
        assertEquals(1, registry.pendingCount(s1));
    }

    @Test
    void unknownIdsAreNoOps() {
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> waiter = registered(s1, input);

        assertEquals(0, registry.resolve(s1, InputId.random(), new CompletedWithoutResult()));
        assertEquals(0, registry.resolve(s2, input, new CompletedWithoutResult()));
        assertEquals(0, registry.resolveAllTerminated(s2, "x"));
        assertEquals(0, registry.resolveNotPending(s2, id -> false, "x"));
        assertEquals(0, registry.pendingCount(s2));

        assertFalse(waiter.isDone());
        assertEquals(1, registry.pendingCount());
        assertTrue(registry.finishedOutcome(s1, input).isEmpty());
    }

    @Test
    void resolveAllTerminatedOfOneSessionLeavesOtherSessions() {
        CompletableFuture<CompletionOutcome> a = registered(s1, InputId.random());
        CompletableFuture<CompletionOutcome> b = registered(s1, InputId.random());
        CompletableFuture<CompletionOutcome> c = registered(s2, InputId.random());

        assertEquals(2, registry.resolveAllTerminated(s1, "runtime reset"));

        assertEquals(new RuntimeTerminated("runtime reset"), a.join());
        assertEquals(new RuntimeTerminated("runtime reset"), b.join());
        assertFalse(c.isDone());
        assertEquals(0, registry.pendingCount(s1));
        assertEquals(1, registry.pendingCount(s2));

        // The session can be used again afterwards.
        InputId later = InputId.random();
        CompletableFuture<CompletionOutcome> d = registered(s1, later);
        assertEquals(1, registry.resolve(s1, later, new CompletedWithoutResult()));
        assertInstanceOf(CompletedWithoutResult.class, d.join());
    }

    @Test
    void resolveAllTerminatedCoversEverySession() {
        InputId shared = InputId.random();
        CompletableFuture<CompletionOutcome> a = registered(s1, shared);
        CompletableFuture<CompletionOutcome> b = registered(s1, shared);
        CompletableFuture<CompletionOutcome> c = registered(s2, InputId.random());

        assertEquals(3, registry.resolveAllTerminated("runtime stopped"));

        for (CompletableFuture<CompletionOutcome> w : List.of(a, b, c)) {
            assertEquals(new RuntimeTerminated("runtime stopped"), w.join());
        }
        assertEquals(0, registry.pendingCount());
        assertEquals(0, registry.resolveAllTerminated("again"));
    }

    @Test
    void resolveNotPendingResolvesOnlyInputsNoLongerPending() {
        InputId pending = InputId.random();
        InputId gone = InputId.random();
        CompletableFuture<CompletionOutcome> p = registered(s1, pending);
        CompletableFuture<CompletionOutcome> g1 = registered(s1, gone);
        CompletableFuture<CompletionOutcome> g2 = registered(s1, gone);
        CompletableFuture<CompletionOutcome> otherSession = registered(s2, gone);
        Set<InputId> tested = new HashSet<>();

        int resolved = registry.resolveNotPending(s1, id -> {
            tested.add(id);
            return id.equals(pending);
        }, "recycled input no longer pending");

        assertEquals(2, resolved);
        assertEquals(Set.of(pending, gone), tested);
        assertEquals(new RuntimeTerminated("recycled input no longer pending"), g1.join());
        assertEquals(new RuntimeTerminated("recycled input no longer pending"), g2.join());
        assertFalse(p.isDone());
        assertFalse(otherSession.isDone());
        assertEquals(1, registry.pendingCount(s1));
        assertEquals(2, registry.pendingCount());
    }

    @Test
    void resolveNotPendingMayCallBackIntoTheRegistryFromThePredicate() {
        InputId a = InputId.random();
        InputId b = InputId.random();
        CompletableFuture<CompletionOutcome> wa = registered(s1, a);
        CompletableFuture<CompletionOutcome> wb = registered(s1, b);
        CompletionOutcome done = new CompletedWithoutResult();

        // The predicate resolves both inputs itself (it runs under no registry lock).
        int resolved = registry.resolveNotPending(s1, id -> {
            registry.resolve(s1, a, done);
            registry.resolve(s1, b, done);
            return false;
        }, "x");

        assertEquals(0, resolved);
        assertSame(done, wa.join());
        assertSame(done, wb.join());
    }

    @Test
    void pendingCountTracksRegistersAndResolves() {
        InputId a = InputId.random();
        InputId b = InputId.random();
        registered(s1, a);
        registered(s1, a);
        registered(s1, b);
        registered(s2, a);
        assertEquals(3, registry.pendingCount(s1));
        assertEquals(1, registry.pendingCount(s2));
        assertEquals(4, registry.pendingCount());

        registry.resolve(s1, a, new CompletedWithoutResult());
        assertEquals(1, registry.pendingCount(s1));
        assertEquals(2, registry.pendingCount());

        registry.resolveAllTerminated(s2, "x");
        assertEquals(1, registry.pendingCount());
    }

    @Test
    void drainPendingHandsEveryWaiterOverUnresolved() {
        InputId a = InputId.random();
        InputId b = InputId.random();
        CompletableFuture<CompletionOutcome> wa1 = registered(s1, a);
        CompletableFuture<CompletionOutcome> wa2 = registered(s1, a);
        CompletableFuture<CompletionOutcome> wb = registered(s2, b);

        List<PendingCompletion> drained = registry.drainPending();

        assertEquals(3, drained.size());
        assertEquals(Set.of(new PendingCompletion(s1, a, wa1), new PendingCompletion(s1, a, wa2),
                new PendingCompletion(s2, b, wb)), new HashSet<>(drained));
        drained.forEach(p -> assertFalse(p.waiter().isDone()));
        assertEquals(0, registry.pendingCount());
        assertEquals(0, registry.resolve(s1, a, new CompletedWithoutResult()));
        assertTrue(registry.drainPending().isEmpty());
        registry.close();
        drained.forEach(p -> assertFalse(p.waiter().isDone(), "close after drain must not touch drained waiters"));

        InMemoryCompletionRegistry next = new InMemoryCompletionRegistry();
        drained.forEach(p -> next.register(p.sessionId(), p.inputId(), p.waiter()));
        assertEquals(3, next.pendingCount());
        CompletionOutcome outcome = new Completed(RunResult.of("ok"));
        assertEquals(2, next.resolve(s1, a, outcome));
        assertEquals(1, next.resolve(s2, b, outcome));
        assertSame(outcome, wa1.join());
        assertSame(outcome, wa2.join());
        assertSame(outcome, wb.join());
    }

    @Test
    void closeResolvesEveryWaiterRuntimeTerminated() {
        CompletableFuture<CompletionOutcome> a = registered(s1, InputId.random());
        CompletableFuture<CompletionOutcome> b = registered(s2, InputId.random());

        registry.close();

        RuntimeTerminated closed = new RuntimeTerminated(InMemoryCompletionRegistry.CLOSED_REASON);
        assertEquals(closed, a.join());
        assertEquals(closed, b.join());
        assertEquals(0, registry.pendingCount());
        registry.close(); // idempotent
    }

    @Test
    void registerAfterCloseResolvesAtOnce() {
        registry.close();
        CompletableFuture<CompletionOutcome> late = registered(s1, InputId.random());

        assertTrue(late.isDone());
        assertEquals(new RuntimeTerminated("completion registry closed"), late.join());
        assertEquals(0, registry.pendingCount());
    }

    @Test
    void waiterCancelledByItsCallerDoesNotBreakOthers() {
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> cancelled = registered(s1, input);
        CompletableFuture<CompletionOutcome> kept = registered(s1, input);
        CompletableFuture<CompletionOutcome> alone = registered(s1, InputId.random());
        CompletableFuture<CompletionOutcome> elsewhere = registered(s2, InputId.random());
        cancelled.cancel(false);
        alone.cancel(false);

        CompletionOutcome outcome = new CompletedWithoutResult();
        assertEquals(2, registry.resolve(s1, input, outcome));
        assertSame(outcome, kept.join());
        assertTrue(cancelled.isCancelled());

        assertEquals(2, registry.resolveAllTerminated("stop"));
        assertTrue(alone.isCancelled());
        assertEquals(new RuntimeTerminated("stop"), elsewhere.join());
    }

    @Test
    void waiterWhoseCallbackThrowsDoesNotBreakOthers() {
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> throwing = registered(s1, input);
        throwing.thenRun(() -> {
            throw new IllegalStateException("caller bug");
        });
        CompletableFuture<CompletionOutcome> kept = registered(s1, input);

        assertEquals(2, registry.resolve(s1, input, new CompletedWithoutResult()));
        assertTrue(throwing.isDone());
        assertTrue(kept.isDone());
    }

    @Test
    void callbacksMayReenterTheRegistry() {
        InputId first = InputId.random();
        InputId second = InputId.random();
        CompletableFuture<CompletionOutcome> w1 = registered(s1, first);
        CompletableFuture<CompletionOutcome> w2 = registered(s1, second);
        CompletableFuture<CompletionOutcome> registeredFromCallback = waiter();
        w1.thenRun(() -> {
            registry.resolve(s1, second, new Abandoned("chained"));
            registry.register(s1, first, registeredFromCallback);
        });

        registry.resolve(s1, first, new CompletedWithoutResult());

        assertTrue(w1.isDone());
        assertEquals(new Abandoned("chained"), w2.join());
        assertFalse(registeredFromCallback.isDone());
        assertEquals(1, registry.pendingCount(s1));
    }

    @Test
    void nullArgumentsAreRejected() {
        InputId input = InputId.random();
        assertThrows(NullPointerException.class, () -> registry.register(null, input, waiter()));
        assertThrows(NullPointerException.class, () -> registry.register(s1, null, waiter()));
        assertThrows(NullPointerException.class, () -> registry.register(s1, input, null));
        assertThrows(NullPointerException.class, () -> registry.resolve(s1, input, null));
        assertThrows(NullPointerException.class, () -> registry.resolveAllTerminated(s1, null));
        assertThrows(NullPointerException.class, () -> registry.resolveNotPending(s1, null, "x"));
        assertEquals(0, registry.pendingCount());
    }

    @Test
    void serviceLoaderFindsTheRegistry() {
        // The tests run patched into the module, which provides but does not itself use the SPI.
        getClass().getModule().addUses(CompletionRegistry.class);
        List<CompletionRegistry> found = ServiceLoader.load(CompletionRegistry.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        assertEquals(1, found.size());
        assertInstanceOf(InMemoryCompletionRegistry.class, found.get(0));
    }
}
