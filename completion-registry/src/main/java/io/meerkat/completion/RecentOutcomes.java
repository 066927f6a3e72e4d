package io.meerkat.completion;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcomes of the most recently finished inputs, bounded twice: at most {@code capacity} outcomes
 * and at most {@code maxBytes} of them (as {@link #sizeOf} counts), the oldest recorded forgotten first.
 * An outcome larger than {@code maxBytes} on its own is not kept at all. Thread safe (one lock; recording
 * is a map insert plus the evictions it causes).
 */
public final class RecentOutcomes {

    /** What {@link #sizeOf} adds per outcome for the entry, its key and the outcome object. */
    static final long ENTRY_OVERHEAD_BYTES = 160;

    private record Key(SessionId sessionId, InputId inputId) {
        Key {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(inputId, "inputId");
        }
    }

    private record Entry(CompletionOutcome outcome, long bytes) {
    }

    private final int capacity;
    private final long maxBytes;
    /** Guarded by this object's monitor, as {@link #bytes} is; nothing is called out to under it. */
    private final LinkedHashMap<Key, Entry> outcomes;
    /** Guarded by this. Invariant: the sum of the entries' bytes; at most {@code maxBytes} between calls. */
    private long bytes;

    /**
     * A history bounded by count only.
     *
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public RecentOutcomes(int capacity) {
        this(capacity, Long.MAX_VALUE);
    }

    /**
     * @throws IllegalArgumentException if {@code capacity} or {@code maxBytes} is not positive
     */
    public RecentOutcomes(int capacity, long maxBytes) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes);
        }
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.outcomes = new LinkedHashMap<>(Math.min(capacity, 1024));
    }

    /**
     * Roughly the heap an outcome takes, in bytes: two per character of its strings (result text and
     * attributes, tool name and arguments, reason) plus {@value #ENTRY_OVERHEAD_BYTES} for the entry.
     */
    public static long sizeOf(CompletionOutcome outcome) {
        long chars = 0;
        if (outcome instanceof CompletionOutcome.Completed completed) {
            chars += completed.result().text().length();
            for (Map.Entry<String, String> attribute : completed.result().attributes().entrySet()) {
                chars += attribute.getKey().length() + attribute.getValue().length();
            }
        } else if (outcome instanceof CompletionOutcome.CallbackPending callback) {
            chars += callback.toolName().length() + callback.arguments().length();
        } else if (outcome instanceof CompletionOutcome.Abandoned abandoned) {
            chars += abandoned.reason().length();
        } else if (outcome instanceof CompletionOutcome.RuntimeTerminated terminated) {
            chars += terminated.reason().length();
        }
        return ENTRY_OVERHEAD_BYTES + 2 * chars;
    }

    /** Remembers how an input ended, replacing what was remembered for it; evicts the oldest past a bound. */
    public synchronized void record(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
        Entry entry = new Entry(Objects.requireNonNull(outcome, "outcome"), sizeOf(outcome));
        Entry replaced = outcomes.put(new Key(sessionId, inputId), entry);
        bytes += entry.bytes() - (replaced == null ? 0 : replaced.bytes());
        Iterator<Entry> oldestFirst = outcomes.values().iterator();
        while ((outcomes.size() > capacity || bytes > maxBytes) && oldestFirst.hasNext()) {
            bytes -= oldestFirst.next().bytes();
            oldestFirst.remove();
        }
    }

    /** How the input ended, if it is still remembered. */
    public synchronized Optional<CompletionOutcome> get(SessionId sessionId, InputId inputId) {
        Entry entry = outcomes.get(new Key(sessionId, inputId));
        return entry == null ? Optional.empty() : Optional.of(entry.outcome());
    }

    /** Forgets every outcome of one session. */
    public synchronized void forget(SessionId sessionId) {
        Iterator<Map.Entry<Key, Entry>> entries = outcomes.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<Key, Entry> entry = entries.next();
            if (entry.getKey().sessionId().equals(sessionId)) {
                bytes -= entry.getValue().bytes();
                entries.remove();
            }
        }
    }

    /** How many outcomes are remembered (at most the capacity). */
    public synchronized int size() {
        return outcomes.size();
    }

    /** The remembered outcomes' size as {@link #sizeOf} counts it (at most {@link #maxBytes()}). */
    public synchronized long bytes() {
        return bytes;
    }

    public int capacity() {
        return capacity;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public synchronized void clear() {
        outcomes.clear();
        bytes = 0;
    }
}
