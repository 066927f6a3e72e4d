package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A destroy or removal racing with the loop as it stages a run: the stop finishes the staged inputs
 * (which then let go of their content) as soon as it gets the driver lock, so the run's primitive must
 * be built before the loop releases it. Before it was, the loop failed now and then with a
 * NullPointerException ("runtime loop failed"), found by a review against the HTTP API. Here a big
 * batch (many external events) makes building the primitive take long enough for a destroyer that
 * waits on the driver lock while the run is staged to overtake it; seeded, a few rounds. The waiters
 * are already resolved by the destroy, so the failure shows only in the loop's ERROR line, which the
 * test reads from standard error (where the SLF4J simple logger writes).
 */
class DestroyWhileStagingStressTest {

    private static final int ROUNDS = 40;

    /** Writes to two streams: the test still shows what was logged. */
    private static final class TeeOutputStream extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        TeeOutputStream(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            first.write(bytes, offset, length);
            second.write(bytes, offset, length);
        }

        @Override
        public synchronized void flush() throws IOException {
            first.flush();
            second.flush();
        }
    }
    private static final int BATCH = 1_000;

    @ParameterizedTest
    @ValueSource(longs = {1L, 2L, 3L})
    void noRunFailsBecauseItsSessionWasDestroyedWhileItWasStaged(long seed) throws Exception {
        Random random = new Random(seed);
        ManualScheduler scheduler = new ManualScheduler();
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        List<String> loopFailures = new ArrayList<>();
        PrintStream originalErr = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeOutputStream(originalErr, logged), true, StandardCharsets.UTF_8));
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
                .scheduler(scheduler).maxBatchSize(BATCH).build()) {
            for (int round = 0; round < ROUNDS; round++) {
                SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
                List<Submission> submissions = new ArrayList<>();
                for (int i = 0; i < BATCH; i++) {
                    submissions.add(session.submit(Input.externalEvent("tick", "event " + i)));
                }
                boolean remove = random.nextBoolean();
                Thread loop = new Thread(scheduler::runAll, "loop pass");
                loop.start();
                // Waits on the driver lock while the loop stages the batch, and strikes when it is released.
                while (session.state() != RuntimeState.RUNNING && loop.isAlive()) {
                    Thread.onSpinWait();
                }
                if (remove) {
                    runtime.removeSession(session.id());
                } else {
                    session.destroy();
                }
                loop.join(10_000);
                scheduler.runAll();
                for (Submission submission : submissions) {
                    CompletionOutcome outcome = submission.completion().get(10, TimeUnit.SECONDS);
                    if (outcome instanceof CompletionOutcome.RuntimeTerminated terminated
                            && terminated.reason().contains("loop failed")) {
                        loopFailures.add("seed " + seed + ", round " + round + ": " + terminated.reason());
                        break;
                    }
                }
                if (!remove) {
                    runtime.removeSession(session.id());
                }
            }
        } finally {
            System.setErr(originalErr);
        }
        assertEquals(List.of(), loopFailures, "seed " + seed);
        String log = logged.toString(StandardCharsets.UTF_8);
        assertFalse(log.contains("runtime loop failed"), "seed " + seed + ": " + log);
    }
}
