/**
 * The runtime loop: one {@link io.meerkat.runtime.core.loop.RuntimeLoop} per session with an executor,
 * the sole caller of that executor. It delivers control commands before every unit of work, runs the
 * runs the driver stages, and closes the executor once the session ends and no apply is in flight.
 *
 * <p>Owned by runtime-core; created and signalled by {@code core.session}. Thread rule: the loop holds
 * no thread while idle; passes run on the shared scheduler and are mutually exclusive (one flag), so
 * the loop-confined fields are touched by one pass at a time. It calls the driver (which takes the
 * driver lock) and the completion registry, never the registry while holding the driver lock.
 */
package io.meerkat.runtime.core.loop;
