package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputRejectedException;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.PayloadTooLargeException;

/**
 * The validation step of admission: size limit (the text and every other string of the input, keys
 * included), durability rules and handling-mode rules. Stateless
 * and thread safe, so it runs before the session lock is taken.
 */
public final class InputValidator {

    private final long maxPayloadChars;

    /** @param maxPayloadChars the largest content, in characters, an input may carry */
    public InputValidator(long maxPayloadChars) {
        this.maxPayloadChars = maxPayloadChars;
    }

    /**
     * Checks one input.
     *
     * @throws InputRejectedException   for a null input or a rule it breaks
     * @throws PayloadTooLargeException when its content is over the limit
     */
    public void validate(Input input) {
        if (input == null) {
            throw new InputRejectedException("input is null");
        }
        long size = payloadSize(input);
        if (size > maxPayloadChars) {
            throw new PayloadTooLargeException(size, maxPayloadChars);
        }
        if (input.header().durability() == Durability.DERIVED) {
            InputSource source = input.header().source();
            if (source == InputSource.OPERATOR || source == InputSource.PEER || source == InputSource.EXTERNAL) {
                throw new InputRejectedException("durability_violation: DERIVED inputs may not come from " + source);
            }
            if (switch (input.kind()) {
                case PROMPT, PEER_MESSAGE, PEER_REQUEST, PEER_RESPONSE_TERMINAL, FLOW_STEP -> true;
                default -> false;
            }) {
                throw new InputRejectedException("durability_violation: a " + input.kind().wireName()
                        + " input may not be DERIVED");
            }
        }
        if (input.header().handlingMode() != null
                && (input.kind() == InputKind.PEER_RESPONSE_PROGRESS || input.kind() == InputKind.OPERATION)) {
            throw new InputRejectedException("peer_handling_mode_invalid: a " + input.kind().wireName()
                    + " input takes no handling mode");
        }
    }

    /** The content of an input, in characters: its text and every other string it carries. */
    static long payloadSize(Input input) {
        InputHeader header = input.header();
        long size = input.text().length() + length(header.idempotencyKey()) + length(header.supersessionKey())
                + length(header.correlationId());
        if (input instanceof Input.PeerMessage m) {
            size += m.peer().length();
        } else if (input instanceof Input.PeerRequest r) {
            size += r.peer().length() + r.requestId().length();
        } else if (input instanceof Input.PeerResponseProgress p) {
            size += p.peer().length() + p.requestId().length();
        } else if (input instanceof Input.PeerResponseTerminal t) {
            size += t.peer().length() + t.requestId().length();
        } else if (input instanceof Input.FlowStep f) {
            size += f.flowId().length() + f.step().length();
        } else if (input instanceof Input.ExternalEvent e) {
            size += e.eventType().length();
        } else if (input instanceof Input.Operation o) {
            size += o.operation().length();
        }
        return size;
    }

    private static int length(String value) {
        return value == null ? 0 : value.length();
    }
}
