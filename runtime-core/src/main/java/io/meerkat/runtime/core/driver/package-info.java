/**
 * The session driver: one session's control machine, ingress (input ledger and lanes) and event
 * stream behind one lock, with the {@link io.meerkat.runtime.core.driver.StagedRun} it hands the loop
 * and the {@link io.meerkat.runtime.core.driver.Settlement}s it hands back for waiters.
 *
 * <p>Owned by runtime-core; called by {@code core.session} (the caller's thread) and {@code core.loop}
 * (the session's loop). Lock rule: the driver lock is a leaf. Under it nothing calls a completion
 * registry, an executor or a caller's callback; waiters are registered and resolved after it is
 * released, so a registry may hold its own lock while calling into the driver, never the reverse.
 */
package io.meerkat.runtime.core.driver;
