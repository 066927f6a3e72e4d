package io.meerkat.distribution.http;

import io.meerkat.distribution.WireNames;
import io.meerkat.plugin.host.PluginStatus;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.UnknownExecutorException;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/** Sessions: create, list, show, out-of-band control, runtime commands, retire/reset/recycle/destroy. */
final class SessionEndpoints {

    private static final Logger LOG = LoggerFactory.getLogger(SessionEndpoints.class);

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1_000;

    private final ApiContext context;
    private final PendingCompletions completions;

    SessionEndpoints(ApiContext context, PendingCompletions completions) {
        this.context = context;
        this.completions = completions;
    }

    List<Route> routes() {
        return List.of(
                Route.of("POST", "/v1/sessions", Endpoint.now(this::create)),
                Route.of("GET", "/v1/sessions", Endpoint.now(this::list)),
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
        Duration maxRunDuration = maxRunDuration(request.maxRunDurationMs());
        // Checked before creating, so concurrent creates may pass it by a few: a bound on memory, not a quota.
        int maxSessions = context.memory().maxSessions();
        if (context.runtime().sessions().size() >= maxSessions) {
            throw new ApiException(429, "too_many_sessions", "the launcher holds " + maxSessions + " sessions, its "
                    + "limit (meerkat.runtime.max-sessions); delete sessions no longer needed");
        }
        ExecutorFactory factory = context.plugins().factory(request.executor())
                .orElseThrow(() -> unknownExecutor(request.executor()));
        SessionHandle session;
        try {
            Map<String, String> config = context.sessionConfigs().resolveForSession(factory, request.profile(),
                    clientConfig(request.config()));
            session = context.runtime().createSession(new SessionSpec(id, request.executor(), config, maxRunDuration));
        } catch (IllegalArgumentException e) {
            // Executor factories refuse a bad config this way (ExecutorConfig's messages name the key).
            throw ApiException.badRequest("invalid_config", e.getMessage());
        } catch (MeerkatException | ApiException e) {
            throw e;
        } catch (RuntimeException e) {
            // Anything else out of createSession comes from the plugin's factory (a bug in its create):
            // the client learns what the plugin said, the operator gets the stack trace.
            LOG.error("executor '{}' failed to create session {}", request.executor(), id, e);
            throw ApiException.badRequest("executor_failed", "executor '" + request.executor()
                    + "' failed to create the session: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        return Reply.created(new Views.Created(session.id().toString(), WireNames.state(session.state())));
    }

    /**
     * The run duration limit a client asks for: at most the operator's ({@code meerkat.runtime.max-run-duration-ms}),
     * which also applies when the client asks for none.
     */
    private Duration maxRunDuration(Long requestedMillis) {
        long operatorMax = context.runs().maxRunDurationMs();
        if (requestedMillis == null) {
            return null;
        }
        if (requestedMillis <= 0 || requestedMillis > operatorMax) {
            throw ApiException.badRequest("invalid_field", "'maxRunDurationMs' must be between 1 and " + operatorMax
                    + " (meerkat.runtime.max-run-duration-ms), was " + requestedMillis);
        }
        return Duration.ofMillis(requestedMillis);
    }

    /** No plugin serves {@code kind}: says which kinds there are and which plugins failed, as {@code /v1/plugins} does. */
    private ApiException unknownExecutor(String kind) {
        List<String> failed = context.plugins().plugins().stream()
                .filter(plugin -> plugin.status() == PluginStatus.FAILED)
                .map(plugin -> "'" + plugin.pluginId() + "'").toList();
        String message = new UnknownExecutorException(kind, context.runtime().executorKinds()).getMessage()
                + (failed.isEmpty() ? "" : "; plugins that failed to start: " + String.join(", ", failed)
                + " (GET /v1/plugins says why)");
        return ApiException.badRequest("unknown_executor", message);
    }

    /**
     * The client's config as the executor reads it: a number or boolean as it is written ({@code 20},
     * {@code true}), a string as it is; the executor then checks the value against the key's type.
     */
    private static Map<String, String> clientConfig(Map<String, JsonNode> config) {
        if (config == null) {
            return Map.of();
        }
        Map<String, String> values = new HashMap<>();
        config.forEach((key, value) -> {
            if (value == null || !(value.isString() || value.isNumber() || value.isBoolean())) {
                throw ApiException.badRequest("invalid_config", "config '" + key + "' must be a string, a number or "
                        + "a boolean, was " + (value == null || value.isNull() ? "null" : value.getNodeType().name()
                        .toLowerCase(Locale.ROOT)));
            }
            values.put(key, value.isString() ? value.stringValue() : value.asString());
        });
        return values;
    }

    /**
     * One page of sessions in id order: {@code limit} (default {@value #DEFAULT_PAGE}, at most
     * {@value #MAX_PAGE}) after the id {@code after}; {@code next} is the cursor for the following page,
     * absent on the last. Only the page's sessions are looked at closely (their status read).
     */
    private Reply list(Exchange exchange) {
        int limit = (int) exchange.queryLong("limit", DEFAULT_PAGE, 1, MAX_PAGE);
        String afterText = exchange.query("after");
        SessionId after;
        try {
            after = afterText == null ? null : SessionId.parse(afterText.trim());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_parameter", "after must be a session id (a 'next' cursor), was '"
                    + afterText + "'");
        }
        List<SessionHandle> page = context.runtime().sessions().stream()
                .filter(session -> after == null || session.id().compareTo(after) > 0)
                .sorted(Comparator.comparing(SessionHandle::id))
                .limit(limit + 1L)
                .toList();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("sessions", page.stream().limit(limit).map(session -> Views.Session.of(session.status())).toList());
        if (page.size() > limit) {
            answer.put("next", page.get(limit - 1).id().toString());
        }
        return Reply.ok(answer);
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
