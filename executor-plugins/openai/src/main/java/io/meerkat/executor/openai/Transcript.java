package io.meerkat.executor.openai;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The session's earlier messages that are sent along with each request, at most a configured
 * number (the oldest are dropped first). A run adds its messages and its reply only when it
 * completes, so a failed or cancelled run leaves no trace. Thread safe.
 */
final class Transcript {

    private final int capacity;
    private final Deque<ChatMessage> messages = new ArrayDeque<>();

    Transcript(int capacity) {
        this.capacity = capacity;
    }

    synchronized List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    synchronized void add(List<ChatMessage> added) {
        if (capacity == 0) {
            return;
        }
        messages.addAll(added);
        while (messages.size() > capacity) {
            messages.removeFirst();
        }
    }
}
