/**
 * The in-process runtime and its sessions: {@link io.meerkat.runtime.core.session.LocalMeerkatRuntime}
 * (sessions by id, executors by kind, one completion registry for all) and the
 * {@code SessionHandle} it hands out, which wires a session's driver, loop and waiters together.
 *
 * <p>Owned by runtime-core; built by {@link io.meerkat.runtime.core.MeerkatRuntimeBuilder}, used by
 * embedders through {@code io.meerkat.runtime.api}. Thread safe: the session map is concurrent, and a
 * session's state lives in its driver. Lock rule: every completion-registry call here is made holding
 * no driver lock, so the only lock order is registry lock, then driver lock.
 */
package io.meerkat.runtime.core.session;
