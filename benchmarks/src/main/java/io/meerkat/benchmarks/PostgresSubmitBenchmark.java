package io.meerkat.benchmarks;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.store.testpg.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.UUID;
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
 * Durable acknowledgements on PostgreSQL (issue 13): {@code accept} of a prompt on a runtime whose sessions
 * are kept by the {@code postgres} store, against a baseline in the same run that inserts the same rows
 * into a database with the same schema through plain pgjdbc and the smallest group commit that can be
 * written (as {@link DurableSubmitBenchmark}'s SQLite baseline). The server is the embedded PostgreSQL of
 * the tests (fsync and synchronous_commit as it starts them), or the one {@code MEERKAT_TEST_PG_URL} names.
 * Each thread submits to a session of its own without an executor ({@code queue}) or every thread to one
 * ({@code shared}). With {@code nodes=3}, three runtimes share the database as a cluster (each with its own
 * store and pool, as three launchers would) and the threads' sessions are spread over them round robin
 * ({@code shared}: one session, on the first node); every write is fenced by its session's lease either way.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar PostgresSubmitBenchmark -t 16
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PostgresSubmitBenchmark {

    private static final String PROMPT = "please summarise the attached report in three sentences";

    /** The runtime on a new database for the trial. */
    @State(Scope.Benchmark)
    public static class Runtime {
        @Param({"queue", "shared"})
        public String sessions;

        @Param({"1"})
        public int nodes;

        SessionHandle shared;
        final List<RuntimeStore> stores = new ArrayList<>();
        final List<MeerkatRuntime> runtimes = new ArrayList<>();
        private final AtomicInteger next = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() {
            String url = TestPostgres.shared().newDatabase();
            for (int node = 0; node < nodes; node++) {
                RuntimeStore store = DurableSubmitBenchmark.provider("postgres").open(Map.of("url", url));
                stores.add(store);
                // Queue-only sessions keep every input: bounds high enough for a whole trial.
                runtimes.add(MeerkatRuntimeBuilder.newBuilder()
                        .maxQueuedInputs(Integer.MAX_VALUE).maxQueuedCharsPerSession(Long.MAX_VALUE)
                        .maxQueuedCharsRuntime(Long.MAX_VALUE)
                        .completionRegistry(new InMemoryCompletionRegistry()).store(store)
                        .clusterNode("node-" + node, () -> null).build());
            }
            shared = runtimes.get(0).createSession(SessionSpec.withoutExecutor());
        }

        /** The runtime the next submitting thread's session goes to. */
        MeerkatRuntime nextNode() {
            return runtimes.get(Math.floorMod(next.getAndIncrement(), runtimes.size()));
        }

        @TearDown(Level.Trial)
        public void close() {
            runtimes.forEach(MeerkatRuntime::close);
            stores.forEach(RuntimeStore::close);
        }
    }

    /** One session per submitting thread, or the shared one. */
    @State(Scope.Thread)
    public static class Submitter {
        SessionHandle session;

        @Setup(Level.Trial)
        public void create(Runtime runtime) {
            session = runtime.sessions.equals("queue") ? runtime.nextNode().createSession(SessionSpec.withoutExecutor())
                    : runtime.shared;
        }
    }

    @Benchmark
    public Object runtimeAccept(Submitter submitter) {
        return submitter.session.accept(Input.prompt(PROMPT));
    }

    /** The baseline: plain pgjdbc, the same schema and rows, a minimal group commit. */
    @State(Scope.Benchmark)
    public static class PlainJdbc {
        PlainGroupCommit commits;

        @Setup(Level.Trial)
        public void open() throws Exception {
            String url = TestPostgres.shared().newDatabase();
            // The store writes one real input first: its schema, and the JSON of its row, are what the baseline inserts.
            try (RuntimeStore store = DurableSubmitBenchmark.provider("postgres").open(Map.of("url", url));
                 MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().completionRegistry(new InMemoryCompletionRegistry())
                         .store(store).build()) {
                runtime.createSession(SessionSpec.withoutExecutor()).accept(Input.prompt(PROMPT));
            }
            Connection connection = DriverManager.getConnection(url);
            UUID sessionId;
            String inputJson;
            String statusJson;
            try (Statement query = connection.createStatement();
                 ResultSet row = query.executeQuery("SELECT session_id, input_json, status_json FROM inputs")) {
                row.next();
                sessionId = row.getObject(1, UUID.class);
                inputJson = row.getString(2);
                statusJson = row.getString(3);
            }
            connection.setAutoCommit(false);
            commits = new PlainGroupCommit(connection, "plain-pgjdbc-writer", (insert, inputId, sequence) -> {
                insert.setObject(1, inputId);
                insert.setObject(2, sessionId);
                insert.setLong(3, sequence);
                insert.setString(4, inputJson);
                insert.setString(5, statusJson);
            });
        }

        @TearDown(Level.Trial)
        public void close() throws InterruptedException {
            commits.close();
        }
    }

    @Benchmark
    public Object plainJdbcGroupCommit(PlainJdbc plain) {
        // Time-ordered, as the runtime mints them: random keys cost the index several times more per insert.
        return plain.commits.submit(InputId.random().value()).join();
    }
}
