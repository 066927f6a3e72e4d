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

            assertTrue(inline.get(10, TimeUnit.SECONDS).startsWith("meerkat-loop-"),
                    "a non-async stage runs on the session's loop thread: " + inline.join());
            assertEquals("caller-pool", async.get(10, TimeUnit.SECONDS));
        } finally {
            mine.shutdown();
        }
    }
}
