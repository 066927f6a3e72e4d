package io.meerkat.executor.openai;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A tiny HTTP/1.1 server on 127.0.0.1 that answers each request with a test-supplied {@link Script}:
 * chunked event streams written line by line, stalls that last until the client goes away, error
 * statuses, cut connections. Requests whose path starts with a registered prefix get that route's
 * script; the others take the next script queued with {@link #next}. Raw sockets, so a test can see
 * the exact moment the client closes its connection.
 */
final class ScriptedServer implements AutoCloseable {

    /** What the server does with one request. */
    @FunctionalInterface
    interface Script {
        void serve(Exchange exchange) throws IOException;
    }

    /** A request as received. */
    record Received(String method, String path, Map<String, String> headers, String body) {
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "scripted-server");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, Script> routes = new ConcurrentHashMap<>();
    private final BlockingQueue<Script> queue = new LinkedBlockingQueue<>();
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    private ScriptedServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    static ScriptedServer start() {
        try {
            return new ScriptedServer();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the test server", e);
        }
    }

    /** {@code http://127.0.0.1:<port><prefix>} */
    String url(String prefix) {
        return "http://127.0.0.1:" + server.getLocalPort() + prefix;
    }

    /** Requests whose path starts with {@code prefix} are served by {@code script}. */
    ScriptedServer route(String prefix, Script script) {
        routes.put(prefix, script);
        return this;
    }

    /** Queues the script of the next unrouted request. */
    ScriptedServer next(Script script) {
        queue.add(script);
        return this;
    }

    /** The next request received, waiting up to 10 s. */
    Received takeRequest() throws InterruptedException {
        Received request = received.poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("no request arrived within 10 s");
        }
        return request;
    }

    /** How many requests were received and not yet taken. */
    int pendingRequests() {
        return received.size();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                threads.execute(() -> serveConnection(socket));
            } catch (IOException closed) {
                return; // the server was closed
            }
        }
    }

    private void serveConnection(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                Received request = readRequest(in);
                if (request == null) {
                    return;
                }
                received.add(request);
                Exchange exchange = new Exchange(in, out);
                script(request.path()).serve(exchange);
                if (!exchange.keepAlive) {
                    return;
                }
            }
        } catch (IOException e) {
            // The client went away or the test closed the server; either ends this connection.
        } finally {
            sockets.remove(socket);
        }
    }

    private Script script(String path) {
        for (Map.Entry<String, Script> route : routes.entrySet()) {
            if (path.startsWith(route.getKey())) {
                return route.getValue();
            }
        }
        Script next = queue.poll();
        return next != null ? next : exchange -> exchange.respond(500, Map.of(), "{\"error\":\"no script for " + path + "\"}");
    }

    private static Received readRequest(InputStream in) throws IOException {
        String requestLine = readLine(in);
        if (requestLine == null || requestLine.isEmpty()) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        String[] parts = requestLine.split(" ");
        return new Received(parts[0], parts[1], headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1; b = in.read()) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return null;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        threads.shutdownNow();
    }

    /** One response being written. */
    static final class Exchange {
        private final InputStream in;
        private final OutputStream out;
        private boolean keepAlive = true;

        Exchange(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        /** A complete response with a body. */
        void respond(int status, Map<String, String> headers, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " Scripted\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("Content-Type: application/json\r\nContent-Length: ").append(bytes.length).append("\r\n\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes);
            out.flush();
        }

        /** Starts a chunked {@code text/event-stream} 200 response. */
        void startStream() throws IOException {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Writes one server-sent event carrying {@code data}. */
        void event(String data) throws IOException {
            raw("data: " + data + "\n\n");
        }

        /** Writes {@code text} as one chunk of the body. */
        void raw(String text) throws IOException {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Ends the chunked body; the connection may serve another request. */
        void endStream() throws IOException {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Closes the connection in the middle of the body. */
        void cut() {
            keepAlive = false;
        }

        /**
         * Says nothing more until the client closes the connection (or the server is closed);
         * completes {@code reached} first and {@code clientGone} once the client is gone.
         */
        void stall(CompletableFuture<Void> reached, CompletableFuture<Void> clientGone) {
            keepAlive = false;
            reached.complete(null);
            try {
                while (in.read() != -1) {
                    // A client does not send while its response is pending; nothing to do with stray bytes.
                    continue;
                }
                clientGone.complete(null);
            } catch (SocketException reset) {
                clientGone.complete(null);
            } catch (IOException e) {
                clientGone.completeExceptionally(e);
            }
        }
    }
}
