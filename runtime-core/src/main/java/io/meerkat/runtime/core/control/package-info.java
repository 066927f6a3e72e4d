/**
 * The runtime control machine: the single owner of which {@link io.meerkat.runtime.api.RuntimeState}
 * may follow which, and of the one-active-run rule (a run id is active only in {@code RUNNING} or
 * {@code RETIRED}, and only that run may end itself).
 *
 * <p>Its only user is the session driver, which holds one machine per session and serialises every
 * call under the driver lock; the machine is not thread safe. It decides legality and nothing else:
 * what a transition means (abandoning inputs, resolving waiters, waking the loop) is done by the driver
 * right after the {@code apply} that allowed it, under the same lock. Depends on nothing in runtime-core.
 */
package io.meerkat.runtime.core.control;
