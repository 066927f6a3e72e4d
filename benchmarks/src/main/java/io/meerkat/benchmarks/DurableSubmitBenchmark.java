package io.meerkat.benchmarks;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.RuntimeStoreProvider;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.ServiceLoader;
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
 * Durable acknowledgements: {@code accept} of a prompt on a runtime whose sessions are kept in SQLite
 * returns once the input's row is committed; against a baseline in the same run that writes the same row
 * with plain JDBC into the same kind of file, with the same pragmas, through the smallest group commit
 * that can be written (one writer thread drains what the submitters left and commits it in one
 * transaction). Run it with 1, 16 and 64 threads ({@code -t}); each thread submits to a session of its
 * own, whose no-op executor consumes the inputs, so the runtime also writes a run boundary per prompt
 * (the baseline writes only the rows). The score is acknowledgements per second; {@code -bm sample}
 * gives the latency percentiles.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar DurableSubmitBenchmark -t 16 -bm thrpt
 * java -jar benchmarks/target/benchmarks.jar DurableSubmitBenchmark -t 16 -bm sample -tu us
 * java -jar benchmarks/target/benchmarks.jar DurableSubmitBenchmark.runtimeAccept -t 16 -p store=discarding -p synchronous=NORMAL
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class DurableSubmitBenchmark {

    /** The runtime on a fresh SQLite file for the trial. */
    @State(Scope.Benchmark)
    public static class Runtime {
        /** {@code FULL}: a commit survives a power loss; {@code NORMAL}: a process crash (see runtime-store/README.md). */
        @Param({"FULL", "NORMAL"})
        public String synchronous;

        /**
         * {@code run}: each session's no-op executor consumes its inputs, so a run boundary is written per
         * prompt too (what a user sees); {@code queue}: sessions without an executor, only the admissions are
         * written (what the baseline does); {@code shared}: every thread submits to one session without an
         * executor (admissions of one session sharing commits).
         */
        @Param({"run", "queue", "shared"})
        public String sessions;

        /**
         * {@code sqlite}: the store's file, what a user runs; {@code -p store=discarding}: a store that keeps
         * nothing ({@link DiscardingStore}) behind the same group commit, so that the runtime's own cost of a
         * durable admission shows, not SQLite's writer ({@code synchronous} means nothing to it: pass one value).
         */
        @Param({"sqlite"})
        public String store;

        SessionHandle shared;

        Path dir;
        RuntimeStore opened;
        MeerkatRuntime runtime;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("durable-submit");
            opened = store.equals("discarding") ? new DiscardingStore()
                    : provider("sqlite").open(Map.of("path", dir.resolve("runtime.db").toString(),
                            "synchronous", synchronous));
            // Queue-only sessions keep every input: bounds high enough for a whole trial.
            runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(NoOpExecutor.FACTORY)
                    .maxQueuedInputs(Integer.MAX_VALUE).maxQueuedCharsPerSession(Long.MAX_VALUE)
                    .maxQueuedCharsRuntime(Long.MAX_VALUE)
                    .completionRegistry(new InMemoryCompletionRegistry()).store(opened).build();
            shared = runtime.createSession(SessionSpec.withoutExecutor());
        }

        @TearDown(Level.Trial)
        public void close() {
            runtime.close();
            opened.close();
            TempFolders.delete(dir);
        }
    }

    /** One session per submitting thread. */
    @State(Scope.Thread)
    public static class Submitter {
        SessionHandle session;

        @Setup(Level.Trial)
        public void create(Runtime runtime) {
            session = switch (runtime.sessions) {
                case "run" -> runtime.runtime.createSession(SessionSpec.of(NoOpExecutor.KIND));
                case "queue" -> runtime.runtime.createSession(SessionSpec.withoutExecutor());
                default -> runtime.shared;
            };
        }
    }

    @Benchmark
    public Object runtimeAccept(Submitter submitter) {
        return submitter.session.accept(Input.prompt("please summarise the attached report in three sentences"));
    }

    /** The baseline: plain JDBC, the same schema, rows and pragmas, a minimal group commit. */
    @State(Scope.Benchmark)
    public static class PlainJdbc {
        @Param({"FULL", "NORMAL"})
        public String synchronous;

        private Path dir;
        PlainGroupCommit commits;

        @Setup(Level.Trial)
        public void open() throws Exception {
            dir = Files.createTempDirectory("durable-plain");
            Path file = dir.resolve("plain.db");
            // The store writes one real input first: its schema, and the JSON of its row, are what the baseline inserts.
            try (RuntimeStore store = provider("sqlite").open(Map.of("path", file.toString(), "synchronous", synchronous));
                 MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().completionRegistry(new InMemoryCompletionRegistry())
                         .store(store).build()) {
                runtime.createSession(SessionSpec.withoutExecutor())
                        .accept(Input.prompt("please summarise the attached report in three sentences"));
            }
            Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement pragmas = connection.createStatement()) {
                pragmas.execute("PRAGMA journal_mode=WAL");
                pragmas.execute("PRAGMA synchronous=" + synchronous);
                pragmas.execute("PRAGMA foreign_keys=ON");
            }
            byte[] sessionId;
            String inputJson;
            String statusJson;
            try (Statement query = connection.createStatement();
                 ResultSet row = query.executeQuery("SELECT session_id, input_json, status_json FROM inputs")) {
                row.next();
                sessionId = row.getBytes(1);
                inputJson = row.getString(2);
                statusJson = row.getString(3);
            }
            connection.setAutoCommit(false);
            commits = new PlainGroupCommit(connection, "plain-jdbc-writer", (insert, inputId, sequence) -> {
                insert.setBytes(1, ByteBuffer.allocate(16).putLong(inputId.getMostSignificantBits())
                        .putLong(inputId.getLeastSignificantBits()).array());
                insert.setBytes(2, sessionId);
                insert.setLong(3, sequence);
                insert.setString(4, inputJson);
                insert.setString(5, statusJson);
            });
        }

        @TearDown(Level.Trial)
        public void close() throws InterruptedException {
            commits.close();
            TempFolders.delete(dir);
        }
    }

    @Benchmark
    public Object plainJdbcGroupCommit(PlainJdbc plain) {
        return plain.commits.submit(UUID.randomUUID()).join();
    }

    static RuntimeStoreProvider provider(String name) {
        return ServiceLoader.load(RuntimeStoreProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(provider -> provider.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no store provider named " + name));
    }
}
