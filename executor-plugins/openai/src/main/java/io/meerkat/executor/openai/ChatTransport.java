package io.meerkat.executor.openai;

import java.lang.reflect.Method;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every openai executor of one factory shares: one HTTP client (created on first use) and one
 * timer thread (read timeouts, retry delays). {@link #close()} aborts every call still in flight,
 * ends the timer and drops the client, so nothing of the plugin stays reachable from a JDK thread
 * once the plugin is unloaded: on JDK 17 the client has no {@code close()}, and its selector thread
 * ends by itself only when no exchange is pending and the client is unreferenced; on JDK 21 and
 * later the client is also shut down explicitly. Thread safe.
 *
 * <p>On JDK 17 the plugin's class loader stays reachable for up to about three seconds after
 * {@code close()}: the client's selector and worker threads were started while this plugin's code
 * was on the stack, so each holds an inherited {@code AccessControlContext} naming the plugin's
 * protection domain until it ends, and the selector notices that the client is gone only at its
 * next wake-up (at most every 3 s) after a garbage collection cleared the client.
 */
final class ChatTransport implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChatTransport.class);

    private final Object lock = new Object();
    private final Set<ChatCall> inFlight = ConcurrentHashMap.newKeySet();
    private final ScheduledThreadPoolExecutor timer;
    /** Guarded by {@link #lock}; created on first use, dropped by {@link #close()}. */
    private HttpClient client;
    /** Guarded by {@link #lock}. */
    private boolean closed;

    ChatTransport() {
        timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "openai-executor-timer");
            thread.setDaemon(true);
            return thread;
        });
        // A cancelled timeout or retry must not keep its call (and this plugin's classes) reachable.
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Sends {@code request} and streams its answer into {@code accumulator}.
     *
     * @throws OpenAiCallException if the transport is closed
     */
    ChatCall open(HttpRequest request, OpenAiSettings settings, CompletionAccumulator accumulator,
                  ChatCall.ChunkListener listener) {
        synchronized (lock) {
            // open() and close() take the same lock: a call is either registered before close() copies
            // the in-flight set (and is aborted by it), or refused here.
            if (closed) {
                throw stopped(null);
            }
            if (client == null) {
                client = newClient();
            }
            ChatCall call = new ChatCall(request, settings, accumulator, listener, this);
            inFlight.add(call);
            call.exchangeEnded().whenComplete((ignored, error) -> inFlight.remove(call));
            call.start(client);
            return call;
        }
    }

    /**
     * Runs {@code task} after {@code delay} on the timer.
     *
     * @throws OpenAiCallException if the transport is closed
     */
    ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            throw stopped(e);
        }
    }

    /** Calls whose HTTP exchange has not ended yet. */
    int inFlight() {
        return inFlight.size();
    }

    @Override
    public void close() {
        HttpClient dropped;
        List<ChatCall> calls;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            calls = List.copyOf(inFlight);
            dropped = client;
            client = null;
        }
        OpenAiCallException stopped = stopped(null);
        calls.forEach(call -> call.abort(stopped));
        timer.shutdownNow();
        if (dropped != null) {
            shutDown(dropped);
        }
        LOG.debug("openai transport closed; {} call(s) aborted", calls.size());
    }

    private static OpenAiCallException stopped(Throwable cause) {
        return OpenAiCallException.of("the plugin is stopped", cause);
    }

    private static HttpClient newClient() {
        Thread current = Thread.currentThread();
        ClassLoader context = current.getContextClassLoader();
        // The client's selector thread inherits the creating thread's context class loader; it must
        // not be this plugin's, or that thread would keep the plugin loaded until it ends.
        current.setContextClassLoader(null);
        try {
            // HTTP/1.1: one connection per streamed call, so cancelling a call closes its connection.
            return HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build();
        } finally {
            current.setContextClassLoader(context);
        }
    }

    /** Shuts the client down where the JDK can (21 and later); on 17 dropping it is all there is. */
    private static void shutDown(HttpClient client) {
        Method shutdownNow;
        try {
            shutdownNow = HttpClient.class.getMethod("shutdownNow");
        } catch (NoSuchMethodException beforeJdk21) {
            LOG.debug("HttpClient.shutdownNow() is not available on this JDK; the client is dropped");
            return;
        }
        try {
            shutdownNow.invoke(client);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("could not shut the openai HTTP client down; it is dropped", e);
        }
    }
}
