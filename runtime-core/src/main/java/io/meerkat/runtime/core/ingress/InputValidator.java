package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputRejectedException;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.PayloadTooLargeException;
import java.util.Objects;

/**
 * The validation step of admission: size limit (the text and every other string of the input, keys
 * included), key rules, durability rules and handling-mode rules. Stateless and thread safe, so it
 * runs before the session lock is taken.
 *
 * <p>Key rules: an idempotency key, supersession key or correlation id is either absent ({@code null})
 * or holds a non-blank string of at most {@link #MAX_KEY_BYTES} bytes in UTF-8. An empty or blank key
 * is refused rather than taken for a real key that every other keyless-by-mistake input would share.
 */
public final class InputValidator {

    /** The longest idempotency key, supersession key or correlation id, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 512;

    private final long maxPayloadChars;

    /** @param maxPayloadChars the largest content, in characters, an input may carry */
    public InputValidator(long maxPayloadChars) {
        this.maxPayloadChars = maxPayloadChars;
    }

    /**
     * Checks one input.
     *
     * @throws NullPointerException     for a null input
     * @throws InputRejectedException   for a rule it breaks (a key that is blank or too long included)
     * @throws PayloadTooLargeException when its content is over the limit
     */
    public void validate(Input input) {
        Objects.requireNonNull(input, "input");
        checkKey("idempotency key", input.header().idempotencyKey());
        checkKey("supersession key", input.header().supersessionKey());
        checkKey("correlation id", input.header().correlationId());
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

    private static void checkKey(String name, String key) {
        if (key == null) {
            return;
        }
        // A char is at least one UTF-8 byte: a longer string is refused without scanning it (a
        // 20-million-character key costs nothing here).
        if (key.length() > MAX_KEY_BYTES) {
            throw new InputRejectedException(name + " is " + key.length() + " characters; the limit is "
                    + MAX_KEY_BYTES + " bytes (UTF-8)");
        }
        int bytes = utf8Length(key);
        if (bytes > MAX_KEY_BYTES) {
            throw new InputRejectedException(name + " is " + bytes + " bytes (UTF-8); the limit is "
                    + MAX_KEY_BYTES);
        }
        if (key.isBlank()) {
            throw new InputRejectedException(name + " is empty; omit it (null) for no key");
        }
    }

    /** The UTF-8 length of {@code value} without encoding it; an unpaired surrogate counts as '?' does. */
    static int utf8Length(String value) {
        int bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes += 1;
            } else {
                bytes += 3;
            }
        }
        return bytes;
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
