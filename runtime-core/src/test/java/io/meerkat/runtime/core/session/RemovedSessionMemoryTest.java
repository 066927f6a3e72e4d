package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.OutcomeHistoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.QueueFullException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.ingress.QueuedPayloadBudget;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A removed session leaves nothing behind in the registry's remembered outcomes, and a stopped
 * session's queued content goes back to the runtime's budget. Checked through the accounting, not GC.
 */
class RemovedSessionMemoryTest {

    @Test
    void removingASessionForgetsItsResults() throws Exception {
        var registry = new OutcomeHistoryCompletionRegistry(10_000, 1L << 40);
        var factory = new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        String large = "x".repeat(1 << 20);
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).build()) {
            SessionHandle doomed = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            SessionHandle kept = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            List<InputId> inputs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Submission submission = doomed.submit(Input.prompt(large));
                assertInstanceOf(CompletionOutcome.Completed.class, submission.completion().get(10, TimeUnit.SECONDS));
                inputs.add(submission.outcome().inputId());
            }
            Submission keptOne = kept.submit(Input.prompt("kept"));
            keptOne.completion().get(10, TimeUnit.SECONDS);
            assertTrue(registry.rememberedOutcomeBytes() > 50L << 20, registry.rememberedOutcomeBytes() + " bytes");

            runtime.removeSession(doomed.id());

            assertEquals(Optional.empty(), registry.finishedOutcome(doomed.id(), inputs.get(0)));
            assertTrue(registry.rememberedOutcomeBytes() < 1024, registry.rememberedOutcomeBytes() + " bytes left");
            assertTrue(registry.finishedOutcome(kept.id(), keptOne.outcome().inputId()).isPresent());
        }
    }

    @Test
    void removingASessionGivesItsQueuedContentBack() {
        var factory = new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, new OutcomeHistoryCompletionRegistry())
                .maxQueuedCharsRuntime(5 * (1_000 + QueuedPayloadBudget.PER_INPUT_CHARS)).build()) {
            SessionHandle doomed = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            SessionHandle other = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            for (int i = 0; i < 5; i++) {
                doomed.submit(Input.prompt("x".repeat(1_000)));
            }
            assertEquals("queue_full",
                    assertThrows(QueueFullException.class, () -> other.submit(Input.prompt("y"))).code());

            runtime.removeSession(doomed.id());

            assertEquals(0, ((LocalMeerkatRuntime) runtime).queuedPayloadChars());
            other.submit(Input.prompt("y"));
        }
    }
}
