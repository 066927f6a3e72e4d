package io.meerkat.distribution.http;

import io.meerkat.distribution.WireNames;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.HandlingMode;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.SessionMovedException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.Submission;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Inputs: submit (and wait for the completion, if asked), show the lifecycle, wait for the completion with a timeout. */
final class InputEndpoints {

    /** The longest a completion request may wait. */
    static final long MAX_TIMEOUT_MS = 300_000;

    private final ApiContext context;
    private final PendingCompletions completions;

    InputEndpoints(ApiContext context, PendingCompletions completions) {
        this.context = context;
        this.completions = completions;
    }

    List<Route> routes() {
        return List.of(
                Route.of("POST", "/v1/sessions/{id}/inputs", this::submit),
                Route.of("GET", "/v1/sessions/{id}/inputs/{inputId}", Endpoint.now(exchange ->
                        Reply.ok(Views.Input.of(inputStatus(exchange))))),
                Route.of("GET", "/v1/sessions/{id}/inputs/{inputId}/completion", this::completion));
    }

    /**
     * Submits an input. With {@code waitMs} above zero the same request then waits up to that long for the
     * input's completion (one round trip for a client that wants the answer): 200 with the outcome under
     * {@code completion}, or 202 with {@code completion} pending when the wait ends first, as when a
     * completion poll would be refused for too many waiting ({@code server_busy}) or the session moved to
     * another node: the input is accepted whatever happens to the wait, so the answer always says so.
     */
    private CompletableFuture<Reply> submit(Exchange exchange) {
        SessionHandle session = SessionEndpoints.session(context, exchange);
        Input input = toInput(exchange.body(Requests.SubmitInput.class));
        // Read before the submit: a malformed waitMs is refused with nothing accepted.
        long waitMs = exchange.queryLong("waitMs", 0, 0, MAX_TIMEOUT_MS);
        Submission submission = session.submit(input);
        InputId id;
        Views.Submitted submitted;
        if (submission.outcome() instanceof AcceptOutcome.Deduplicated deduplicated) {
            id = deduplicated.inputId();
            completions.trackJoined(session.id(), id, submission.completion());
            submitted = new Views.Submitted(id.toString(), "deduplicated", id.toString());
        } else {
            id = ((AcceptOutcome.Accepted) submission.outcome()).inputId();
            completions.track(session.id(), id, submission.completion());
            submitted = new Views.Submitted(id.toString(), "accepted", null);
        }
        if (waitMs == 0) {
            return CompletableFuture.completedFuture(Reply.accepted(submitted));
        }
        Optional<CompletableFuture<CompletionOutcome>> waiting;
        try {
            waiting = completions.poll(session.id(), id, waitMs);
        } catch (ApiException busy) {
            return CompletableFuture.completedFuture(Reply.accepted(submitted.withCompletion(Views.pending())));
        }
        // Not tracked: the input finished before it could be (a duplicate of a finished input: its waiter is
        // done), or just as it was (the waiter is resolved in a moment): waited on directly, not counted.
        CompletableFuture<CompletionOutcome> outcome = waiting.orElseGet(() ->
                submission.completion().copy().completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS));
        return outcome.thenApply(finished -> finished == null || movedAway(finished)
                ? Reply.accepted(submitted.withCompletion(Views.pending()))
                : Reply.ok(submitted.withCompletion(Views.outcome(finished))));
    }

    private CompletableFuture<Reply> completion(Exchange exchange) {
        SessionHandle session = SessionEndpoints.session(context, exchange);
        InputStatus status = inputStatus(exchange);
        long timeoutMs = exchange.queryLong("timeoutMs", 0, 0, MAX_TIMEOUT_MS);
        Optional<CompletableFuture<CompletionOutcome>> pending = completions.poll(session.id(), status.inputId(), timeoutMs);
        if (pending.isPresent()) {
            return pending.get().thenApply(outcome -> answer(session, outcome));
        }
        Optional<CompletionOutcome> finished = completions.finished(session.id(), status.inputId())
                // Said when this node lost the session earlier; it runs it again now, so the outcome is to come.
                .filter(outcome -> !movedAway(outcome));
        if (finished.isPresent()) {
            return CompletableFuture.completedFuture(Reply.ok(Views.outcome(finished.get())));
        }
        if (!status.state().isTerminal()) {
            // An unfinished input the API tracks no completion of (recovered after a restart, or submitted
            // through another handle): the session hands out one, tracked from now on, and the poll waits on it.
            Optional<CompletableFuture<CompletionOutcome>> joined = session.completion(status.inputId());
            if (joined.isPresent()) {
                completions.trackJoined(session.id(), status.inputId(), joined.get());
                Optional<CompletableFuture<CompletionOutcome>> waiting =
                        completions.poll(session.id(), status.inputId(), timeoutMs);
                if (waiting.isPresent()) {
                    return waiting.get().thenApply(outcome -> answer(session, outcome));
                }
                if (joined.get().isDone()) {
                    return CompletableFuture.completedFuture(answer(session, joined.get().join()));
                }
            }
        }
        // Read again: the input may have finished (and its session been deleted, its outcomes forgotten)
        // since the first read. Answered from that stale snapshot, a finished input looked "pending".
        return CompletableFuture.completedFuture(fromLifecycle(inputStatus(exchange)));
    }

    /**
     * A waited-for completion's answer: the outcome, or 202 pending when the wait timed out ({@code null}).
     * The session's loop ends with {@link OwnershipLostException#REASON} when another node claimed the session:
     * not the input's outcome (the new owner runs it), so the client is told to ask again, which reaches the
     * new owner (503 {@code session_moved}, {@code Retry-After}).
     */
    private static Reply answer(SessionHandle session, CompletionOutcome outcome) {
        if (outcome == null) {
            return Reply.accepted(Views.pending());
        }
        if (movedAway(outcome)) {
            throw new SessionMovedException(session.id(), null);
        }
        return Reply.ok(Views.outcome(outcome));
    }

    /** Whether the outcome only says this node stopped running the session because another claimed it. */
    static boolean movedAway(CompletionOutcome outcome) {
        return outcome instanceof CompletionOutcome.RuntimeTerminated terminated
                && OwnershipLostException.REASON.equals(terminated.reason());
    }

    /** An input nobody over HTTP waits for and the registry does not remember: told by its lifecycle. */
    private static Reply fromLifecycle(InputStatus status) {
        return switch (status.state()) {
            case CONSUMED -> Reply.ok(Map.of("outcome", "completed_without_result",
                    "note", "the result is no longer held; the outcome-history registry keeps recent results"));
            case ABANDONED -> Reply.ok(Views.outcome(new CompletionOutcome.Abandoned(
                    status.abandonReason() == null ? "abandoned" : WireNames.state(status.abandonReason()))));
            case SUPERSEDED -> Reply.ok(Views.outcome(new CompletionOutcome.Abandoned("superseded")));
            case COALESCED -> Reply.ok(Views.outcome(new CompletionOutcome.Abandoned("coalesced")));
            case ACCEPTED, QUEUED, STAGED, APPLIED, APPLIED_PENDING_CONSUMPTION -> Reply.accepted(Views.pending());
        };
    }

    private InputStatus inputStatus(Exchange exchange) {
        SessionHandle session = SessionEndpoints.session(context, exchange);
        InputId inputId = exchange.inputId();
        return session.inputStatus(inputId)
                .orElseThrow(() -> ApiException.notFound("input_not_found", "session " + session.id() + " has no input " + inputId));
    }

    private static Input toInput(Requests.SubmitInput request) {
        if (request.text() == null) {
            throw ApiException.badRequest("missing_field", "'text' is required");
        }
        String kind = request.kind() == null ? "prompt" : request.kind();
        InputSource source = switch (kind) {
            case "prompt", "continuation", "operation" -> InputSource.OPERATOR;
            case "external_event" -> InputSource.EXTERNAL;
            case "peer_message" -> InputSource.PEER;
            default -> throw ApiException.badRequest("invalid_field", "'kind' must be prompt, external_event, "
                    + "peer_message, continuation or operation, was " + kind);
        };
        InputHeader header = new InputHeader(InputId.random(), java.time.Instant.now(), source,
                enumValue(Durability.class, "durability", request.durability(), Durability.DURABLE),
                request.idempotencyKey(), request.supersessionKey(), request.correlationId(),
                enumValue(HandlingMode.class, "mode", request.mode(), null));
        return switch (kind) {
            case "external_event" -> new Input.ExternalEvent(header, required("eventType", request.eventType()), request.text());
            case "peer_message" -> new Input.PeerMessage(header, required("peer", request.peer()), request.text());
            case "continuation" -> new Input.Continuation(header, request.text());
            case "operation" -> new Input.Operation(header, required("operation", request.operation()), request.text());
            default -> new Input.Prompt(header, request.text());
        };
    }

    private static String required(String field, String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest("missing_field", "'" + field + "' is required for this kind");
        }
        return value;
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String field, String value, E defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_field", "'" + field + "' must be one of "
                    + java.util.Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT)).toList()
                    + ", was " + value);
        }
    }
}
