package io.meerkat.distribution.http;

import io.meerkat.distribution.WireNames;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the API writes, as records: the wire format is kept here, apart from the Java API it shows,
 * so a change in one cannot silently change the other.
 */
final class Views {

    private Views() {
    }

    /** {@code executorUnavailable}: why a recovered session runs nothing (left out when it runs). */
    record Session(String id, String executor, String state, int queueDepth, int steerDepth,
                   List<String> activeInputs, String currentRun, String executorUnavailable) {

        static Session of(SessionStatus status) {
            return new Session(status.sessionId().toString(), status.executorKind(), WireNames.state(status.state()),
                    status.queueDepth(), status.steerDepth(), ids(status.activeInputIds()),
                    status.currentRun() == null ? null : status.currentRun().toString(), status.executorUnavailable());
        }
    }

    record Created(String id, String state) {
    }

    /**
     * A submit's answer; {@code completion} only when the client asked to wait for it ({@code waitMs}): the
     * outcome, or {@code {"outcome":"pending"}} when the wait ended first.
     */
    record Submitted(String inputId, String outcome, String existingId, Map<String, Object> completion) {

        Submitted(String inputId, String outcome, String existingId) {
            this(inputId, outcome, existingId, null);
        }

        Submitted withCompletion(Map<String, Object> view) {
            return new Submitted(inputId, outcome, existingId, view);
        }
    }

    record Transition(String at, String from, String to, String reason) {

        static Transition of(InputTransitionRecord record) {
            return new Transition(record.at().toString(), record.from() == null ? null : WireNames.state(record.from()),
                    WireNames.state(record.to()), record.reason());
        }
    }

    record Input(String inputId, String kind, String state, String lane, int attempts, String abandonReason,
                 String supersededBy, List<Transition> history) {

        static Input of(InputStatus status) {
            return new Input(status.inputId().toString(), WireNames.state(status.kind()), WireNames.state(status.state()),
                    status.lane() == null ? null : WireNames.state(status.lane()), status.attempts(),
                    status.abandonReason() == null ? null : WireNames.state(status.abandonReason()),
                    status.supersededBy() == null ? null : status.supersededBy().toString(),
                    status.history().stream().map(Transition::of).toList());
        }
    }

    record Lifecycle(String state, int inputsAbandoned, int inputsPending, int waitersResolved) {

        static Lifecycle of(LifecycleReport report) {
            return new Lifecycle(WireNames.state(report.state()), report.inputsAbandoned(), report.inputsPending(),
                    report.waitersResolved());
        }
    }

    /** A completion: {@code {"outcome": ..., ...}} with the fields its outcome has. */
    static Map<String, Object> outcome(CompletionOutcome outcome) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("outcome", WireNames.outcome(outcome));
        if (outcome instanceof CompletionOutcome.Completed completed) {
            view.put("result", Map.of("text", completed.result().text(), "attributes", completed.result().attributes()));
        } else if (outcome instanceof CompletionOutcome.CallbackPending callback) {
            view.put("toolName", callback.toolName());
            view.put("arguments", callback.arguments());
        } else if (outcome instanceof CompletionOutcome.Abandoned abandoned) {
            view.put("reason", abandoned.reason());
        } else if (outcome instanceof CompletionOutcome.RuntimeTerminated terminated) {
            view.put("reason", terminated.reason());
        }
        return view;
    }

    /** One session event as an SSE data line: the envelope's fields, a {@code type} and the event's own fields. */
    static Map<String, Object> event(RuntimeEventEnvelope envelope) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("sessionId", envelope.sessionId().toString());
        view.put("sequence", envelope.sequence());
        view.put("timestamp", envelope.timestamp().toString());
        RuntimeEvent event = envelope.event();
        if (event instanceof RuntimeEvent.StateChanged changed) {
            view.put("type", "state_changed");
            view.put("from", WireNames.state(changed.from()));
            view.put("to", WireNames.state(changed.to()));
            view.put("transition", changed.transition());
        } else if (event instanceof RuntimeEvent.InputTransitioned transitioned) {
            view.put("type", "input_transitioned");
            view.put("inputId", transitioned.inputId().toString());
            view.put("from", transitioned.from() == null ? null : WireNames.state(transitioned.from()));
            view.put("to", WireNames.state(transitioned.to()));
            view.put("reason", transitioned.reason());
        } else if (event instanceof RuntimeEvent.InputDeduplicated deduplicated) {
            view.put("type", "input_deduplicated");
            view.put("duplicateId", deduplicated.duplicateId().toString());
            view.put("existingId", deduplicated.existingId().toString());
        } else if (event instanceof RuntimeEvent.Topology topology) {
            view.put("type", "topology");
            view.put("change", WireNames.state(topology.change()));
        } else if (event instanceof RuntimeEvent.RunLifecycle lifecycle) {
            RunEvent run = lifecycle.event();
            view.put("runId", run.runId().toString());
            if (run instanceof RunEvent.RunStarted started) {
                view.put("type", "run_started");
                view.put("inputIds", ids(started.inputIds()));
            } else if (run instanceof RunEvent.RunCompleted completed) {
                view.put("type", "run_completed");
                view.put("consumedInputIds", ids(completed.consumedInputIds()));
                // The run's result as the completion endpoint shows it: "outcome", then "result" or the tool call.
                view.putAll(outcome(completed.outcome()));
            } else if (run instanceof RunEvent.RunFailed failed) {
                view.put("type", "run_failed");
                view.put("error", failed.error());
                view.put("recoverable", failed.recoverable());
            } else if (run instanceof RunEvent.RunCancelled cancelled) {
                view.put("type", "run_cancelled");
                view.put("reason", cancelled.reason());
            } else if (run instanceof RunEvent.RunTimedOut timedOut) {
                view.put("type", "run_timed_out");
                view.put("limitMs", timedOut.limit().toMillis());
            } else if (run instanceof RunEvent.RunProgress progress) {
                view.put("type", "run_progress");
                view.put("message", progress.message());
            } else if (run instanceof RunEvent.OutputDelta delta) {
                view.put("type", "output_delta");
                view.put("text", delta.text());
            } else if (run instanceof RunEvent.BoundaryApplied) {
                view.put("type", "boundary_applied");
            }
        }
        return view;
    }

    /** {@code GET /v1/cluster}. */
    record Cluster(ThisNode node, long leaseTtlMs, List<ClusterNode> nodes) {
    }

    /** The node answering; {@code advertise} absent until it is known. */
    record ThisNode(String id, String advertise, boolean draining) {
    }

    /** A node as the store last heard of it; {@code advertise} absent until the node has said. */
    record ClusterNode(String id, String advertise, String startedAt, long heartbeatAgeMs, boolean alive,
                       boolean draining, long sessions) {

        static ClusterNode of(io.meerkat.runtime.api.cluster.ClusterNode node) {
            return new ClusterNode(node.nodeId(), node.advertise() == null ? null : node.advertise().toString(),
                    node.startedAt().toString(),
                    node.sinceHeartbeat().toMillis(), node.alive(), node.draining(), node.sessions());
        }
    }

    /** {@code POST /v1/node/drain}: what the drain did. */
    record Drained(String node, int released, int cutShort, long tookMs) {
    }

    static Map<String, Object> pending() {
        return Map.of("outcome", "pending");
    }

    private static List<String> ids(List<InputId> ids) {
        return ids.stream().map(InputId::toString).toList();
    }
}
