package io.meerkat.plugin.host;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What fixture plugins did, in order. The plugins' classes live in their own class loaders and
 * call this class through the host's exported package.
 */
public final class Journal {

    private static final Queue<String> EVENTS = new ConcurrentLinkedQueue<>();

    private Journal() {
    }

    public static void record(String event) {
        EVENTS.add(event);
    }

    static List<String> events() {
        return List.copyOf(EVENTS);
    }

    static void clear() {
        EVENTS.clear();
    }
}
