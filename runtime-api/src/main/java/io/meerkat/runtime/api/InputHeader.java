package io.meerkat.runtime.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What every input carries besides its content.
 *
 * @param id              the input's id, minted by the submitter
 * @param timestamp       when the input was created
 * @param source          who produced it
 * @param durability      how it must survive a crash
 * <p>Each key is {@code null} (none) or a non-blank string of at most 512 bytes in UTF-8; the runtime
 * refuses any other ({@link InputRejectedException}), and counts the keys toward the input's content
 * limit like its text.
 *
 * @param idempotencyKey  inputs with the same key are admitted once; {@code null} for none
 * @param supersessionKey the replace scope of an input whose policy coalesces (peer response
 *                        progress): every queued input of the same kind and key becomes COALESCED into
 *                        this one. Inputs of the other kinds run in FIFO order and are never replaced,
 *                        key or not (Meerkat 0.5's policy table). {@code null} for none
 * @param correlationId   carried into events for tracing; {@code null} for none
 * @param handlingMode    overrides the default lane; {@code null} to follow the policy
 */
public record InputHeader(
        InputId id,
        Instant timestamp,
        InputSource source,
        Durability durability,
        String idempotencyKey,
        String supersessionKey,
        String correlationId,
        HandlingMode handlingMode) {

    public InputHeader {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(durability, "durability");
    }

    /** A fresh header: new id, now, the given source, {@link Durability#DURABLE}, no keys. */
    public static InputHeader from(InputSource source) {
        return new InputHeader(InputId.random(), Instant.now(), source, Durability.DURABLE,
                null, null, null, null);
    }

    /** The idempotency key, if any. */
    public Optional<String> idempotencyKeyIfAny() {
        return Optional.ofNullable(idempotencyKey);
    }

    public InputHeader withIdempotencyKey(String key) {
        return new InputHeader(id, timestamp, source, durability, key, supersessionKey, correlationId,
                handlingMode);
    }

    public InputHeader withSupersessionKey(String key) {
        return new InputHeader(id, timestamp, source, durability, idempotencyKey, key, correlationId,
                handlingMode);
    }

    public InputHeader withCorrelationId(String correlation) {
        return new InputHeader(id, timestamp, source, durability, idempotencyKey, supersessionKey,
                correlation, handlingMode);
    }

    public InputHeader withDurability(Durability newDurability) {
        return new InputHeader(id, timestamp, source, newDurability, idempotencyKey, supersessionKey,
                correlationId, handlingMode);
    }

    public InputHeader withHandlingMode(HandlingMode mode) {
        return new InputHeader(id, timestamp, source, durability, idempotencyKey, supersessionKey,
                correlationId, mode);
    }
}
