package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A registry passed to the builder is not the runtime's own: other runtimes (and their sessions) may
 * share it. Ending one session, or closing one runtime, resolves only its own waiters.
 */
class SharedRegistryTest {

    @Test
    void closingOneRuntimeLeavesTheWaitersOfAnotherRuntimeSharingTheRegistry() throws Exception {
        InMemoryCompletionRegistry shared = new InMemoryCompletionRegistry();
        TestRuntimes.RecordingFactory held =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
        try (MeerkatRuntime survivor = TestRuntimes.builder(held, shared).build()) {
            SessionHandle kept = survivor.createSession(SessionSpec.of(TestRuntimes.KIND));
            Submission stillRunning = kept.submit(Input.prompt("mine"));
            ScriptedExecutor.PendingApply inFlight = held.executorOf(kept.id()).nextApply();

            MeerkatRuntime closing = TestRuntimes.builder(held, shared).build();
            SessionHandle other = closing.createSession(SessionSpec.of(TestRuntimes.KIND));
            Submission closed = other.submit(Input.prompt("theirs"));
            SessionHandle sibling = survivor.createSession(SessionSpec.of(TestRuntimes.KIND));
            Submission siblingWaiter = sibling.submit(Input.prompt("sibling"));
            sibling.destroy();
            closing.close();

            assertEquals(new CompletionOutcome.RuntimeTerminated("runtime closed"),
                    closed.completion().get(10, TimeUnit.SECONDS));
            assertEquals(new CompletionOutcome.RuntimeTerminated("runtime destroyed"),
                    siblingWaiter.completion().get(10, TimeUnit.SECONDS));
            assertFalse(stillRunning.completion().isDone(),
                    "another runtime's close (or a sibling's destroy) must not resolve this waiter");
            assertEquals(1, shared.pendingCount(kept.id()));

            inFlight.complete("done");
            assertEquals(new CompletionOutcome.Completed(RunResult.of("done")),
                    stillRunning.completion().get(10, TimeUnit.SECONDS));
        }
    }
}
