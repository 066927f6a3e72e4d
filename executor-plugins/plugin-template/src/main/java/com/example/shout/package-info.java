/**
 * A template for executor plugin authors: the {@code shout} kind replies with the input in capitals.
 * Copy the module, rename the package and the kind, and replace
 * {@link com.example.shout.ShoutExecutor}'s work with yours.
 *
 * <p>Owned by the plugin's author (this copy by executor-plugins); loaded by the plugin host. Thread
 * rule of every executor: {@code apply} and {@code control} are called by one session's loop, one
 * at a time, and must not block; slow work goes to {@code ExecutorContext.blockingExecutor()}. The
 * factory is called from many threads at once, so keep it stateless.
 */
package com.example.shout;
