package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputRejectedException;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.PayloadTooLargeException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Keys are bounded (512 UTF-8 bytes) and never blank; every caller-supplied string counts toward the
 * payload limit. A refused input stores nothing.
 */
class InputKeyRulesTest {

    private static final List<String> KEYS = List.of("idempotency key", "supersession key", "correlation id");

    private MeerkatRuntime runtime;
    private SessionHandle session;

    @BeforeEach
    void start() {
        runtime = TestRuntimes.builder(
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO)),
                new InMemoryCompletionRegistry()).maxPayloadChars(100_000_000L).build();
        session = runtime.createSession(SessionSpec.withoutExecutor());
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    private static Input withKey(String which, String key) {
        InputHeader header = InputHeader.from(InputSource.OPERATOR);
        header = switch (which) {
            case "idempotency key" -> header.withIdempotencyKey(key);
            case "supersession key" -> header.withSupersessionKey(key);
            default -> header.withCorrelationId(key);
        };
        return new Input.Prompt(header, "x");
    }

    private void assertRefused(String which, String key, String reason) {
        InputRejectedException refused = assertThrows(InputRejectedException.class,
                () -> session.submit(withKey(which, key)), which);
        assertEquals(which + " " + reason, refused.reason());
        assertEquals("input_rejected", refused.code());
        assertTrue(session.activeInputIds().isEmpty(), "a refused input stores nothing");
    }

    @Test
    void aKeyPastFiveHundredTwelveBytesIsRefusedEvenWhenThePayloadLimitWouldAllowIt() {
        for (String which : KEYS) {
            assertRefused(which, "k".repeat(513), "is 513 characters; the limit is 512 bytes (UTF-8)");
            assertRefused(which, "k".repeat(20_000_000), "is 20000000 characters; the limit is 512 bytes (UTF-8)");
            // 300 characters, 600 bytes: bytes are what is bounded.
            assertRefused(which, "é".repeat(300), "is 600 bytes (UTF-8); the limit is 512");
        }
    }

    @Test
    void aKeyOfExactlyFiveHundredTwelveBytesIsAccepted() {
        for (String which : KEYS) {
            assertInstanceOf(AcceptOutcome.Accepted.class, session.accept(withKey(which, "k".repeat(512))));
            assertInstanceOf(AcceptOutcome.Accepted.class, session.accept(withKey(which, "é".repeat(256))));
            assertInstanceOf(AcceptOutcome.Accepted.class, session.accept(withKey(which, "\uD83D\uDE00".repeat(128))));
        }
    }

    @Test
    void anEmptyOrBlankKeyIsRefusedNotTakenForAKey() {
        for (String which : KEYS) {
            assertRefused(which, "", "is empty; omit it (null) for no key");
            assertRefused(which, " \t", "is empty; omit it (null) for no key");
        }
    }

    @Test
    void everyCallerSuppliedStringCountsTowardThePayloadLimit() {
        try (MeerkatRuntime small = TestRuntimes.builder(
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO)),
                new InMemoryCompletionRegistry()).maxPayloadChars(1_000).build()) {
            SessionHandle target = small.createSession(SessionSpec.withoutExecutor());
            String big = "s".repeat(1_000);
            InputHeader h = InputHeader.from(InputSource.PEER);
            List<BiFunction<InputHeader, String, Input>> carriers = List.of(
                    (header, s) -> new Input.PeerMessage(header, s, "t"),
                    (header, s) -> new Input.PeerRequest(header, s, "r", "t"),
                    (header, s) -> new Input.PeerRequest(header, "p", s, "t"),
                    (header, s) -> new Input.PeerResponseProgress(header, s, "r", "t"),
                    (header, s) -> new Input.PeerResponseProgress(header, "p", s, "t"),
                    (header, s) -> new Input.PeerResponseTerminal(header, s, "r", "t"),
                    (header, s) -> new Input.PeerResponseTerminal(header, "p", s, "t"),
                    (header, s) -> new Input.FlowStep(header, s, "st", "t"),
                    (header, s) -> new Input.FlowStep(header, "f", s, "t"),
                    (header, s) -> new Input.ExternalEvent(header, s, "t"),
                    (header, s) -> new Input.Operation(header, s, "t"));
            for (BiFunction<InputHeader, String, Input> carrier : carriers) {
                Input input = carrier.apply(h, big);
                PayloadTooLargeException refused = assertThrows(PayloadTooLargeException.class,
                        () -> target.submit(input), input.kind().wireName());
                // The text is one character: only the long string can pass the limit.
                assertTrue(refused.size() > 1_000 && refused.size() <= 1_003, input.kind().wireName());
            }
            assertTrue(target.activeInputIds().isEmpty());
        }
    }
}
