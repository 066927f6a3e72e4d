package io.meerkat.distribution.demo;

import io.meerkat.distribution.WireNames;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scripted session {@code meerkat demo} runs on the echo executor, printed as a timeline:
 * three prompts, an idempotent resubmit of the first, a cancel of the second while it runs, two more
 * prompts and a stop while they wait. Every submitter's outcome is printed at the end: nothing hangs.
 */
public final class DemoScenario {

    private static final long PATIENCE_SECONDS = 30;

    private final MeerkatRuntime runtime;
    private final PrintWriter out;
    private final long delayMs;
    private final long startNanos = System.nanoTime();
    private final Map<InputId, String> labels = new HashMap<>();
    private final CompletableFuture<Void> secondRunStarted = new CompletableFuture<>();
    private final AtomicInteger runsStarted = new AtomicInteger();

    public DemoScenario(MeerkatRuntime runtime, PrintWriter out, long delayMs) {
        this.runtime = runtime;
        this.out = out;
        this.delayMs = delayMs;
    }

    public void run() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of("echo").withConfig(
                Map.of("delayMs", Long.toString(delayMs), "template", "echo: {text}")));
        CompletableFuture<Void> streamEnded = new CompletableFuture<>();
        session.events().subscribe(new Timeline(streamEnded));
        print("session " + session.id() + " created on executor 'echo' (delay " + delayMs + " ms)");

        Map<String, Submission> submissions = new LinkedHashMap<>();
        submissions.put("#1 hello", submit(session, "#1 hello", "hello", "greeting-1"));
        submissions.put("#2 story", submit(session, "#2 story", "tell me a long story", null));
        submissions.put("#3 weather", submit(session, "#3 weather", "what's the weather?", null));
        submissions.put("#1 again", submit(session, "#1 again", "hello", "greeting-1"));

        secondRunStarted.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        print(">> cancel the current run (\"changed my mind\")");
        session.control(new RunControlCommand.CancelCurrentRun("changed my mind"));

        submissions.get("#3 weather").completion().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        submissions.put("#4 later", submit(session, "#4 later", "one more thing", null));
        submissions.put("#5 later", submit(session, "#5 later", "and another", null));
        print(">> stop the session with work queued");
        session.runtimeControl(new RuntimeControlCommand.Stop());

        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, Submission> entry : submissions.entrySet()) {
            CompletionOutcome outcome = entry.getValue().completion().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
            lines.add(String.format("  %-11s %-20s %s", entry.getKey(), WireNames.outcome(outcome), detail(outcome)));
        }
        String finalState = WireNames.state(session.state());
        print(">> remove the session");
        runtime.removeSession(session.id());
        // The timeline is printed by the event subscriber: wait for its end so the summary comes last.
        streamEnded.get(PATIENCE_SECONDS, TimeUnit.SECONDS);

        out.println();
        out.println("outcomes (every submitter got one):");
        lines.forEach(out::println);
        out.println("state after the stop: " + finalState);
        out.flush();
    }

    private Submission submit(SessionHandle session, String label, String text, String idempotencyKey) {
        InputHeader header = InputHeader.from(InputSource.OPERATOR);
        if (idempotencyKey != null) {
            header = header.withIdempotencyKey(idempotencyKey);
        }
        Submission submission;
        synchronized (labels) {
            labels.put(header.id(), label);
            submission = session.submit(new Input.Prompt(header, text));
        }
        if (submission.outcome() instanceof AcceptOutcome.Deduplicated deduplicated) {
            print(">> submit " + label + " \"" + text + "\" (key " + idempotencyKey + "): deduplicated, joins "
                    + label(deduplicated.inputId()));
        } else {
            print(">> submit " + label + " \"" + text + "\"" + (idempotencyKey == null ? "" : " (key " + idempotencyKey + ")")
                    + ": accepted");
        }
        return submission;
    }

    private String label(InputId id) {
        synchronized (labels) {
            return labels.getOrDefault(id, id.toString().substring(0, 8));
        }
    }

    private static String detail(CompletionOutcome outcome) {
        if (outcome instanceof CompletionOutcome.Completed completed) {
            return "\"" + completed.result().text() + "\"";
        } else if (outcome instanceof CompletionOutcome.Abandoned abandoned) {
            return "(" + abandoned.reason() + ")";
        } else if (outcome instanceof CompletionOutcome.RuntimeTerminated terminated) {
            return "(" + terminated.reason() + ")";
        }
        return "";
    }

    private void print(String line) {
        synchronized (out) {
            out.printf("%6d ms  %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), line);
            out.flush();
        }
    }

    /** Prints the session's events as they come. */
    private final class Timeline implements Flow.Subscriber<RuntimeEventEnvelope> {
        private final CompletableFuture<Void> ended;

        Timeline(CompletableFuture<Void> ended) {
            this.ended = ended;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(RuntimeEventEnvelope envelope) {
            RuntimeEvent event = envelope.event();
            if (event instanceof RuntimeEvent.StateChanged changed) {
                print("   state " + WireNames.state(changed.from()) + " -> " + WireNames.state(changed.to()));
            } else if (event instanceof RuntimeEvent.InputTransitioned transitioned) {
                print("   input " + label(transitioned.inputId()) + ": " + WireNames.state(transitioned.to())
                        + (transitioned.reason() == null ? "" : " (" + transitioned.reason() + ")"));
            } else if (event instanceof RuntimeEvent.RunLifecycle lifecycle) {
                RunEvent run = lifecycle.event();
                if (run instanceof RunEvent.RunStarted started) {
                    print("   run started with " + started.inputIds().stream().map(DemoScenario.this::label).toList());
                    if (runsStarted.incrementAndGet() == 2) {
                        secondRunStarted.complete(null);
                    }
                } else if (run instanceof RunEvent.RunCompleted) {
                    print("   run completed");
                } else if (run instanceof RunEvent.RunCancelled cancelled) {
                    print("   run cancelled (" + cancelled.reason() + ")");
                } else if (run instanceof RunEvent.RunTimedOut timedOut) {
                    print("   run timed out (after " + timedOut.limit().toMillis() + " ms)");
                } else if (run instanceof RunEvent.RunFailed failed) {
                    print("   run failed (" + failed.error() + ")");
                }
            }
        }

        @Override
        public void onError(Throwable throwable) {
            ended.complete(null);
        }

        @Override
        public void onComplete() {
            ended.complete(null);
        }
    }
}
