package io.meerkat.runtime.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Fault injection for the JDBC store's tests: a connection whose {@code failAt}-th call (from 1, counted in
 * {@code calls}) of {@code method}, on it or on any statement or result set it hands out, throws what
 * {@code failure} makes of a description of the call instead of running.
 */
final class FaultyJdbc {

    private FaultyJdbc() {
    }

    static Connection failing(Connection target, String method, int failAt, AtomicInteger calls,
                              Function<String, Throwable> failure) {
        return proxy(Connection.class, target, method, failAt, calls, failure);
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, T target, String method, int failAt, AtomicInteger calls,
                               Function<String, Throwable> failure) {
        InvocationHandler handler = (self, invoked, args) -> {
            if (invoked.getName().equals(method) && calls.incrementAndGet() == failAt) {
                throw failure.apply(method + " #" + failAt);
            }
            Object result;
            try {
                result = invoked.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (result instanceof PreparedStatement statement) {
                return proxy(PreparedStatement.class, statement, method, failAt, calls, failure);
            }
            if (result instanceof Statement statement) {
                return proxy(Statement.class, statement, method, failAt, calls, failure);
            }
            return result instanceof ResultSet rows ? proxy(ResultSet.class, rows, method, failAt, calls, failure) : result;
        };
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }
}
