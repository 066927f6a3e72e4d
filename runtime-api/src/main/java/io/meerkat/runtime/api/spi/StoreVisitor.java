package io.meerkat.runtime.api.spi;

/** Receives what a store holds, session by session, as {@link RuntimeStore#load} reads it. */
public interface StoreVisitor {

    /** The next session; its inputs follow. */
    void session(StoredSession session);

    /** An input of the session last visited, in {@link StoredInput#sequence()} order. */
    void input(StoredInput input);
}
