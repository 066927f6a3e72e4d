package io.meerkat.distribution.http;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Answers one route. It may answer later (a completion wait) without holding a server thread. */
@FunctionalInterface
interface Endpoint {

    CompletableFuture<Reply> handle(Exchange exchange);

    /** An endpoint that answers at once on the calling thread. */
    static Endpoint now(Function<Exchange, Reply> answer) {
        return exchange -> CompletableFuture.completedFuture(answer.apply(exchange));
    }
}
