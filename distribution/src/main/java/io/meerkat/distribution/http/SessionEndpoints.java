package io.meerkat.distribution.http;

import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.distribution.WireNames;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Sessions: create, list, show, out-of-band control, runtime commands, retire/reset/recycle/destroy. */
final class SessionEndpoints {

    private final ApiContext context;
    private final PendingCompletions completions;

    SessionEndpoints(ApiContext context, PendingCompletions completions) {
        this.context = context;
        this.completions = completions;
    }

    List<Route> routes() {
        return List.of(
                Route.of("POST", "/v1/sessions", Endpoint.now(this::create)),
                Route.of("GET", "/v1/sessions", Endpoint.now(exchange -> Reply.ok(Map.of("sessions",
                        context.runtime().sessions().stream().map(s -> Views.Session.of(s.status())).toList())))),
                Route.of("GET", "/v1/sessions/{id}", Endpoint.now(exchange ->
                        Reply.ok(Views.Session.of(session(exchange).status())))),
                Route.of("DELETE", "/v1/sessions/{id}", Endpoint.now(this::delete)),
                Route.of("POST", "/v1/sessions/{id}/control", Endpoint.now(this::control)),
                Route.of("POST", "/v1/sessions/{id}/runtime", Endpoint.now(this::runtime)),
                lifecycle("retire", SessionHandle::retire),
                lifecycle("reset", SessionHandle::reset),
                lifecycle("recycle", SessionHandle::recycle));
    }

    /** The session a path names. */
    static SessionHandle session(ApiContext context, Exchange exchange) {
        SessionId id = exchange.sessionId();
        return context.runtime().session(id)
                .orElseThrow(() -> ApiException.notFound("session_not_found", "no session " + id));
    }

    private SessionHandle session(Exchange exchange) {
        return session(context, exchange);
    }

    private Reply create(Exchange exchange) {
        Requests.CreateSession request = exchange.body(Requests.CreateSession.class);
        if (request.executor() == null || request.executor().isBlank()) {
            throw ApiException.badRequest("missing_field", "'executor' is required; known executors: "
                    + context.runtime().executorKinds());
        }
        SessionId id;
        try {
            id = request.id() == null ? SessionId.random() : SessionId.parse(request.id());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_field", "'id' must be a UUID, was '" + request.id() + "'");
        }
        Map<String, String> config = request.config() == null ? Map.of() : request.config();
        SessionHandle session;
        try {
            session = context.runtime().createSession(new SessionSpec(id, request.executor(), config));
        } catch (IllegalArgumentException e) {
            // Executor factories refuse a bad config this way (ExecutorConfig's messages name the key).
            throw ApiException.badRequest("invalid_config", e.getMessage());
        }
        context.metrics().watch(session);
        return Reply.created(new Views.Created(session.id().toString(), WireNames.state(session.state())));
    }

    private Reply delete(Exchange exchange) {
        SessionId id = session(exchange).id();
        LifecycleReport report = context.runtime().removeSession(id);
        completions.forgetSession(id);
        return Reply.ok(Views.Lifecycle.of(report));
    }

    private Reply control(Exchange exchange) {
        SessionHandle session = session(exchange);
        Requests.Control request = exchange.body(Requests.Control.class);
        String reason = request.reason() == null || request.reason().isBlank() ? "requested over HTTP" : request.reason();
        RunControlCommand command = switch (String.valueOf(request.command())) {
            case "cancel_current_run" -> new RunControlCommand.CancelCurrentRun(reason);
            case "stop_runtime_executor" -> new RunControlCommand.StopRuntimeExecutor(reason);
            default -> throw ApiException.badRequest("invalid_command", "'command' must be cancel_current_run or "
                    + "stop_runtime_executor, was " + request.command());
        };
        context.metrics().controlRequested(session.id(), request.command());
        session.control(command);
        return Reply.accepted(Map.of("command", request.command(), "state", WireNames.state(session.state())));
    }

    private Reply runtime(Exchange exchange) {
        SessionHandle session = session(exchange);
        Requests.RuntimeCommand request = exchange.body(Requests.RuntimeCommand.class);
        RuntimeControlCommand command = switch (String.valueOf(request.command())) {
            case "stop" -> new RuntimeControlCommand.Stop();
            case "resume" -> new RuntimeControlCommand.Resume();
            default -> throw ApiException.badRequest("invalid_command",
                    "'command' must be stop or resume, was " + request.command());
        };
        session.runtimeControl(command);
        return Reply.ok(Map.of("command", request.command(), "state", WireNames.state(session.state())));
    }

    private Route lifecycle(String operation, Function<SessionHandle, LifecycleReport> action) {
        return Route.of("POST", "/v1/sessions/{id}/" + operation, Endpoint.now(exchange ->
                Reply.ok(Views.Lifecycle.of(action.apply(session(exchange))))));
    }
}
