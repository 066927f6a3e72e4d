package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Pins what the Submission Javadoc promises about the thread that completes a waiter. */
class CompletionThreadingTest {

    @Test
    void nonAsyncCallbacksRunOnTheLoopThreadAsyncOnesOnTheCallersExecutor() throws Exception {
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
        ExecutorService mine = Executors.newSingleThreadExecutor(task -> new Thread(task, "caller-pool"));
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry()).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            Submission submission = session.submit(Input.prompt("hi"));
            ScriptedExecutor.PendingApply inFlight = factory.executorOf(session.id()).nextApply();
            CompletableFuture<String> inline = submission.completion().thenApply(o -> Thread.currentThread().getName());
            CompletableFuture<String> async =
                    submission.completion().thenApplyAsync(o -> Thread.currentThread().getName(), mine);

            inFlight.complete("done");

            // The loop thread completes the waiter and runs its non-async stages, unless the thread of an
            // async stage of the same future, finishing at that moment, helps fire them (CompletableFuture
            // lets any completing thread do so): never the submitter's own thread.
            String inlineThread = inline.get(10, TimeUnit.SECONDS);
            assertTrue(inlineThread.startsWith("meerkat-loop-") || inlineThread.equals("caller-pool"),
                    "a non-async stage runs where the waiter is completed: " + inlineThread);
            assertEquals("caller-pool", async.get(10, TimeUnit.SECONDS));
        } finally {
            mine.shutdown();
        }
    }
}
