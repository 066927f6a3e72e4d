package io.meerkat.distribution;

import io.meerkat.distribution.LauncherCluster.Node;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of the cluster as behind a load balancer: each request goes to a node drawn (by the client's
 * seeded random) from the routable ones, and is sent again, to a newly drawn node, after a bounded backoff
 * while it gets no definite answer: the connection failed or was cut, or the answer was 502, 503 (a
 * session between owners is 503 {@code session_moved}) or 504. So only requests that may be repeated go
 * through it: reads, submits with an idempotency key, stop, and cancels of the one session the tests
 * allow to lose inputs to cancels.
 */
final class ClusterClient {

    /** How long one request may take to be answered, through all its tries. */
    static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Duration TRY_TIMEOUT = Duration.ofSeconds(5);
    private static final long FIRST_BACKOFF_MILLIS = 25;
    private static final long MAX_BACKOFF_MILLIS = 500;

    /** Why requests were sent again, counted over every client: "503 session_moved", "ConnectException", ... */
    static final class Retries {
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        void count(String why) {
            counts.computeIfAbsent(why, w -> new AtomicInteger()).incrementAndGet();
        }

        int count() {
            return counts.values().stream().mapToInt(AtomicInteger::get).sum();
        }

        @Override
        public String toString() {
            return counts.toString();
        }
    }

    private final List<Node> routable;
    private final Random random;
    private final Retries retries;

    /** {@code routable} is read at each try: the test takes a frozen node out as a load balancer's health check would. */
    ClusterClient(List<Node> routable, Random random, Retries retries) {
        this.routable = routable;
        this.random = random;
        this.retries = retries;
    }

    Answer get(String path) {
        return send("GET", path, null, TRY_TIMEOUT);
    }

    /** A long-poll of {@code waitMillis}: each try may take that long plus the usual timeout. */
    Answer longPoll(String path, long waitMillis) {
        return send("GET", path, null, TRY_TIMEOUT.plusMillis(waitMillis));
    }

    Answer post(String path, String body) {
        return send("POST", path, body, TRY_TIMEOUT);
    }

    private Answer send(String method, String path, String body, Duration tryTimeout) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        long backoff = FIRST_BACKOFF_MILLIS;
        String last = "no try";
        while (true) {
            List<Node> nodes = List.copyOf(routable);
            Node node = nodes.get(random.nextInt(nodes.size()));
            HttpRequest.Builder request = node.api().request(path).timeout(tryTimeout);
            request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                    : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
            String why;
            try {
                Answer answer = node.api().send(request);
                if (answer.status() != 502 && answer.status() != 503 && answer.status() != 504) {
                    return answer;
                }
                why = answer.status() + " " + answer.errorCode();
                last = node.id() + " answered " + answer.status() + " " + answer.body();
            } catch (UncheckedIOException failed) {
                why = failed.getCause().getClass().getSimpleName();
                last = node.id() + ": " + failed.getCause();
            }
            retries.count(why);
            if (System.nanoTime() + backoff * 1_000_000 > deadline) {
                throw new AssertionError(method + " " + path + " got no definite answer within " + PATIENCE.toMillis()
                        + " ms; last: " + last);
            }
            try {
                // Backoff between tries, spread so that clients do not retry in step.
                Thread.sleep(backoff / 2 + random.nextLong(backoff / 2 + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted between tries of " + method + " " + path, e);
            }
            backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }
}
