package io.meerkat.runtime.core.example;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * A runnable tour of one session's life: inputs submitted (one resubmitted with the same
 * idempotency key), a run cancelled while in flight, a stop with work still queued, and the outcome
 * of every completion. Run it with the README's first command.
 */
public final class SessionLifeDemo {

    private static final long START = System.nanoTime();

    /** An executor that echoes each prompt after a delay, and gives up at once when cancelled. */
    static final class SlowEchoFactory implements ExecutorFactory {
        @Override
        public String kind() {
            return "slow-echo";
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            long delayMillis = Long.parseLong(context.config().getOrDefault("delayMillis", "300"));
            return new CoreExecutor() {
                private volatile CompletableFuture<CoreApplyOutput> current;

                @Override
                public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
                    String text = ((RunPrimitive.StagedInput) primitive).appends().get(0).text();
                    CompletableFuture<CoreApplyOutput> run = new CompletableFuture<>();
                    current = run;
                    CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS).execute(() ->
                            run.complete(CoreApplyOutput.completed(runId, primitive, RunResult.of("echo: " + text))));
                    return run;
                }

                @Override
                public CompletionStage<Void> control(RunControlCommand command) {
                    say("executor received " + command);
                    CompletableFuture<CoreApplyOutput> run = current;
                    if (run != null) {
                        run.completeExceptionally(new CancellationException(command.reason()));
                    }
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public void close() {
                    say("executor closed");
                }
            };
        }
    }

    public static void main(String[] args) throws Exception {
        try (MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(new SlowEchoFactory()).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of("slow-echo"));
            say("session " + session.id() + " created, state " + session.state());
            session.events().subscribe(new StatePrinter());

            List<Submission> submissions = new ArrayList<>();
            for (String text : List.of("plan the trip", "book the flight", "find a hotel")) {
                Submission submission = session.submit(Input.prompt(text));
                say("submitted \"" + text + "\" as " + submission.inputId());
                submissions.add(submission);
            }
            Submission keyed = session.submit(new Input.Prompt(
                    InputHeader.from(InputSource.OPERATOR).withIdempotencyKey("order-42"), "pay the order"));
            Submission again = session.submit(new Input.Prompt(
                    InputHeader.from(InputSource.OPERATOR).withIdempotencyKey("order-42"), "pay the order"));
            say("resubmitted with idempotency key order-42: " + again.outcome());

            say("first outcome: " + submissions.get(0).completion().get(10, TimeUnit.SECONDS));
            say("cancelling the run in flight (\"book the flight\")");
            session.control(new RunControlCommand.CancelCurrentRun("user changed their mind"));
            say("second outcome: " + submissions.get(1).completion().get(10, TimeUnit.SECONDS));
            say("third outcome: " + submissions.get(2).completion().get(10, TimeUnit.SECONDS));

            Submission late = session.submit(Input.prompt("write the summary"));
            say("stopping with \"write the summary\" still queued or running");
            session.control(new RunControlCommand.StopRuntimeExecutor("demo finished"));

            say("keyed outcome: " + keyed.completion().get(10, TimeUnit.SECONDS));
            say("joined waiter outcome: " + again.completion().get(10, TimeUnit.SECONDS));
            say("late outcome: " + late.completion().get(10, TimeUnit.SECONDS));
            CompletionOutcome outcome = late.completion().join();
            say("session state " + session.state() + "; last input is "
                    + session.inputStatus(late.inputId()).orElseThrow().state() + " (" + outcome.wireName() + ")");
        }
        say("runtime closed");
    }

    private static void say(String line) {
        System.out.printf("[%5d ms] %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - START), line);
    }

    /** Prints the session's phase changes and runs as they happen. */
    private static final class StatePrinter implements Flow.Subscriber<RuntimeEventEnvelope> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(RuntimeEventEnvelope envelope) {
            if (envelope.event() instanceof RuntimeEvent.StateChanged change) {
                say("  event #" + envelope.sequence() + ": state " + change.from() + " -> " + change.to()
                        + " (" + change.transition() + ")");
            } else if (envelope.event() instanceof RuntimeEvent.RunLifecycle run) {
                say("  event #" + envelope.sequence() + ": " + run.event().getClass().getSimpleName()
                        + " " + run.event().runId());
            }
        }

        @Override
        public void onError(Throwable throwable) {
            say("  event stream failed: " + throwable);
        }

        @Override
        public void onComplete() {
            say("  event stream completed");
        }
    }
}
