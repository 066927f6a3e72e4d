package io.meerkat.benchmarks;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to ready when a runtime opens a SQLite store holding {@code sessions} sessions of ten inputs each
 * (eight consumed, with their outcomes, two queued): {@code build()} returns once every session and input
 * is taken up. The sessions are queue-only, so nothing runs and every measurement recovers the same
 * store. One shot per iteration: the store is written once per trial, in setup.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar RecoveryBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
@State(Scope.Benchmark)
public class RecoveryBenchmark {

    static final int INPUTS_PER_SESSION = 10;

    @Param({"100000"})
    public int sessions;

    private Path dir;
    private RuntimeStore store;

    @Setup(Level.Trial)
    public void write() throws IOException {
        dir = Files.createTempDirectory("recovery");
        store = DurableSubmitBenchmark.provider("sqlite").open(Map.of("path", dir.resolve("runtime.db").toString(),
                "synchronous", "NORMAL"));
        Instant now = Instant.now();
        List<StoreBatch> batches = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            SessionId sessionId = SessionId.random();
            List<StoreChange> changes = new ArrayList<>(1 + 2 * INPUTS_PER_SESSION);
            changes.add(new StoreChange.PutSession(new StoredSession(sessionId, null, Map.of(), RuntimeState.IDLE, now, null)));
            for (int i = 0; i < INPUTS_PER_SESSION; i++) {
                Input prompt = Input.prompt("please summarise the attached report, section " + i + ", in three sentences");
                boolean done = i < INPUTS_PER_SESSION - 2;
                InputLifecycleState state = done ? InputLifecycleState.CONSUMED : InputLifecycleState.QUEUED;
                List<InputTransitionRecord> history = new ArrayList<>();
                history.add(new InputTransitionRecord(now, null, InputLifecycleState.ACCEPTED, null));
                history.add(new InputTransitionRecord(now, InputLifecycleState.ACCEPTED, InputLifecycleState.QUEUED, null));
                if (done) {
                    history.add(new InputTransitionRecord(now, InputLifecycleState.QUEUED, InputLifecycleState.STAGED, null));
                    history.add(new InputTransitionRecord(now, InputLifecycleState.STAGED, InputLifecycleState.APPLIED, null));
                    history.add(new InputTransitionRecord(now, InputLifecycleState.APPLIED,
                            InputLifecycleState.APPLIED_PENDING_CONSUMPTION, null));
                    history.add(new InputTransitionRecord(now, InputLifecycleState.APPLIED_PENDING_CONSUMPTION,
                            InputLifecycleState.CONSUMED, null));
                }
                InputStatus status = new InputStatus(prompt.id(), prompt.kind(), state, Lane.QUEUE, done ? 1 : 0, null,
                        null, history);
                changes.add(new StoreChange.PutInput(new StoredInput(sessionId, i + 1, done ? null : prompt, null, status,
                        null)));
                if (done) {
                    changes.add(new StoreChange.PutOutcome(sessionId, prompt.id(),
                            new CompletionOutcome.CompletedWithoutResult()));
                }
            }
            batches.add(new StoreBatch(changes));
            if (batches.size() == 1_000) {
                store.commit(batches);
                batches = new ArrayList<>();
            }
        }
        if (!batches.isEmpty()) {
            store.commit(batches);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        store.close();
        TempFolders.delete(dir);
    }

    @Benchmark
    public int recover() {
        try (MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder()
                .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
            int recovered = runtime.sessions().size();
            if (recovered != sessions) {
                throw new IllegalStateException("recovered " + recovered + " sessions of " + sessions);
            }
            return recovered;
        }
    }
}
