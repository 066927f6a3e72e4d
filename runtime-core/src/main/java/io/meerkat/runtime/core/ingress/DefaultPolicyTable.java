package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.HandlingMode;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.core.ingress.PolicyDecision.ApplyMode;
import io.meerkat.runtime.core.ingress.PolicyDecision.ConsumePoint;
import io.meerkat.runtime.core.ingress.PolicyDecision.QueueMode;
import io.meerkat.runtime.core.ingress.PolicyDecision.WakeMode;
import java.util.EnumMap;
import java.util.Map;

/**
 * The default admission policy of Meerkat 0.5, one row per input kind. An explicit
 * {@link HandlingMode} on the header overrides the lane (never for peer response progress).
 * Decisions are precomputed: resolving one is two lookups, no allocation. Only a {@code COALESCE} row
 * (peer response progress) replaces queued inputs; every other kind is FIFO, supersession key or not.
 */
public final class DefaultPolicyTable {

    private static final Map<InputKind, PolicyDecision> WHEN_IDLE = new EnumMap<>(InputKind.class);
    private static final Map<InputKind, PolicyDecision> WHEN_BUSY = new EnumMap<>(InputKind.class);
    private static final PolicyDecision QUEUE_OVERRIDE_IDLE = turnStart(WakeMode.WAKE_IF_IDLE);
    private static final PolicyDecision QUEUE_OVERRIDE_BUSY = turnStart(WakeMode.NONE);
    private static final PolicyDecision STEER_OVERRIDE_IDLE = steer(WakeMode.WAKE_IF_IDLE, QueueMode.FIFO, true);
    private static final PolicyDecision STEER_OVERRIDE_BUSY = steer(WakeMode.NONE, QueueMode.FIFO, true);

    static {
        for (InputKind kind : InputKind.values()) {
            WHEN_IDLE.put(kind, decide(kind, WakeMode.WAKE_IF_IDLE));
            WHEN_BUSY.put(kind, decide(kind, WakeMode.NONE));
        }
    }

    private DefaultPolicyTable() {
    }

    /**
     * The decision for {@code input}.
     *
     * @param runtimeIdle whether the session is IDLE or ATTACHED (no run in flight)
     */
    public static PolicyDecision resolve(Input input, boolean runtimeIdle) {
        HandlingMode override = input.header().handlingMode();
        if (override != null && input.kind() != InputKind.PEER_RESPONSE_PROGRESS
                && input.kind() != InputKind.OPERATION) {
            return switch (override) {
                case QUEUE -> runtimeIdle ? QUEUE_OVERRIDE_IDLE : QUEUE_OVERRIDE_BUSY;
                case STEER -> runtimeIdle ? STEER_OVERRIDE_IDLE : STEER_OVERRIDE_BUSY;
            };
        }
        return (runtimeIdle ? WHEN_IDLE : WHEN_BUSY).get(input.kind());
    }

    private static PolicyDecision decide(InputKind kind, WakeMode wakeWhenIdle) {
        return switch (kind) {
            case PROMPT, PEER_MESSAGE, PEER_REQUEST, PEER_RESPONSE_TERMINAL, FLOW_STEP, EXTERNAL_EVENT ->
                    turnStart(wakeWhenIdle);
            case PEER_RESPONSE_PROGRESS -> steer(WakeMode.NONE, QueueMode.COALESCE, true);
            case CONTINUATION -> steer(wakeWhenIdle, QueueMode.FIFO, false);
            case OPERATION -> new PolicyDecision(ApplyMode.IGNORE, WakeMode.NONE, QueueMode.PRIORITY,
                    ConsumePoint.ON_ACCEPT, Lane.QUEUE, false);
        };
    }

    private static PolicyDecision turnStart(WakeMode wakeMode) {
        return new PolicyDecision(ApplyMode.STAGE_RUN_START, wakeMode, QueueMode.FIFO,
                ConsumePoint.ON_RUN_COMPLETE, Lane.QUEUE, true);
    }

    private static PolicyDecision steer(WakeMode wakeMode, QueueMode queueMode, boolean recordTranscript) {
        return new PolicyDecision(ApplyMode.STAGE_RUN_BOUNDARY, wakeMode, queueMode,
                ConsumePoint.ON_RUN_COMPLETE, Lane.STEER, recordTranscript);
    }
}
