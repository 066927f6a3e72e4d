package io.meerkat.distribution.http;

import java.util.Map;
import tools.jackson.databind.JsonNode;

/** The JSON bodies the API reads; field names as in DESIGN §9. Unknown fields are refused. */
final class Requests {

    private Requests() {
    }

    /**
     * {@code POST /v1/sessions}.
     *
     * @param profile the operator's profile of the executor to start from; absent picks {@code default}, if any
     * @param config  the client's own keys: strings, numbers or booleans, each one its executor declares
     *                client-settable
     * @param maxRunDurationMs how long one run may go on before it is cancelled (inputs abandoned
     *                {@code timed_out}); at most, and by default, the operator's {@code meerkat.runtime.max-run-duration-ms}
     */
    record CreateSession(String executor, String profile, Map<String, JsonNode> config, String id,
                         Long maxRunDurationMs) {
    }

    /**
     * {@code POST /v1/sessions/{id}/inputs}.
     *
     * @param kind     {@code prompt} (default), {@code external_event}, {@code peer_message},
     *                 {@code continuation} or {@code operation}
     * @param mode     {@code queue} or {@code steer}; absent follows the policy
     * @param durability {@code durable} (default), {@code ephemeral} or {@code derived}
     */
    record SubmitInput(String kind, String text, String idempotencyKey, String supersessionKey,
                       String correlationId, String eventType, String peer, String operation, String mode,
                       String durability) {
    }

    /** {@code POST /v1/sessions/{id}/control}: {@code cancel_current_run} or {@code stop_runtime_executor}. */
    record Control(String command, String reason) {
    }

    /** {@code POST /v1/node/drain}: how long runs in flight may take to finish (default 30000). */
    record Drain(Long deadlineMs) {
    }

    /** {@code POST /v1/sessions/{id}/runtime}: {@code stop} or {@code resume}. */
    record RuntimeCommand(String command) {
    }
}
