package io.meerkat.distribution.demo;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.distribution.WireNames;
import io.meerkat.distribution.store.RuntimeStores;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * The second part of {@code meerkat demo}: sessions survive a restart. A runtime on a sqlite store (in a
 * folder of the demo's own) takes three inputs, is closed while the first runs and two wait, and a new
 * runtime opened on the same store takes the session up and runs them; the submitter joins them again by
 * their idempotency keys. Prints a timeline; every input ends {@code completed}.
 */
public final class RestartScenario {

    private static final long PATIENCE_SECONDS = 30;
    private static final List<String> TEXTS = List.of("first", "second", "third");

    private final ExecutorCatalog executors;
    private final PrintWriter out;
    private final long delayMs;
    private final Path dataDir;
    private final long startNanos = System.nanoTime();

    /** @param dataDir an empty folder of the demo's own, for the store */
    public RestartScenario(ExecutorCatalog executors, PrintWriter out, long delayMs, Path dataDir) {
        this.executors = executors;
        this.out = out;
        this.delayMs = delayMs;
        this.dataDir = dataDir;
    }

    public void run() throws Exception {
        Path file = RuntimeStores.location(RuntimeStores.SQLITE, dataDir).orElseThrow();
        out.println();
        print("restart: a runtime on the sqlite store " + file);
        SessionId sessionId;
        try (RuntimeStore store = RuntimeStores.openSqlite(file)) {
            try (MeerkatRuntime first = runtimeOn(store)) {
                SessionHandle session = first.createSession(SessionSpec.of("echo").withConfig(
                        Map.of("delayMs", Long.toString(delayMs), "template", "echo: {text}")));
                sessionId = session.id();
                CompletableFuture<Void> running = new CompletableFuture<>();
                session.events().subscribe(new RunStarts(running));
                for (String text : TEXTS) {
                    submit(session, text);
                }
                running.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
                print(">> stop the runtime while '" + TEXTS.get(0) + "' runs and two wait");
            }
            print("   the store holds " + store.info().sessions() + " session(s); inputs: "
                    + RuntimeStores.inputsByState(store.info()) + "; nothing was written as stopped");

            try (MeerkatRuntime second = runtimeOn(store)) {
                print(">> a new runtime opens the same store: " + second.sessions().size() + " session(s) recovered");
                SessionHandle session = second.session(sessionId).orElseThrow();
                Map<String, Submission> joined = new LinkedHashMap<>();
                for (String text : TEXTS) {
                    joined.put(text, submit(session, text));
                }
                out.println();
                out.println("outcomes after the restart (the input running at the stop ran again):");
                for (Map.Entry<String, Submission> entry : joined.entrySet()) {
                    CompletionOutcome outcome = entry.getValue().completion().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
                    String text = outcome instanceof CompletionOutcome.Completed completed
                            ? "\"" + completed.result().text() + "\"" : "";
                    out.println(String.format("  %-11s %-20s %s", entry.getKey(), WireNames.outcome(outcome), text));
                }
                second.removeSession(sessionId);
            }
        }
        out.flush();
    }

    private MeerkatRuntime runtimeOn(RuntimeStore store) {
        return MeerkatRuntimeBuilder.newBuilder().executorCatalog(executors)
                .completionRegistry(new InMemoryCompletionRegistry()).store(store).build();
    }

    /** Submits {@code text} under the key {@code restart-<text>}: after the restart the same call joins it. */
    private Submission submit(SessionHandle session, String text) {
        Submission submission = session.submit(new Input.Prompt(
                InputHeader.from(InputSource.OPERATOR).withIdempotencyKey("restart-" + text), text));
        print(">> submit '" + text + "': " + (submission.outcome() instanceof AcceptOutcome.Deduplicated
                ? "deduplicated, joins the stored input" : "accepted"));
        return submission;
    }

    private void print(String line) {
        out.printf("%6d ms  %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), line);
        out.flush();
    }

    /** Completes {@code started} at the session's first run. */
    private static final class RunStarts implements Flow.Subscriber<RuntimeEventEnvelope> {
        private final CompletableFuture<Void> started;

        RunStarts(CompletableFuture<Void> started) {
            this.started = started;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(RuntimeEventEnvelope envelope) {
            if (envelope.event() instanceof RuntimeEvent.RunLifecycle lifecycle
                    && lifecycle.event() instanceof RunEvent.RunStarted) {
                started.complete(null);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            started.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            started.complete(null);
        }
    }
}
