/**
 * A session's input side: validation ({@link io.meerkat.runtime.core.ingress.InputValidator}),
 * the admission policy ({@link io.meerkat.runtime.core.ingress.DefaultPolicyTable}), the ledger and its
 * two lanes ({@link io.meerkat.runtime.core.ingress.Ingress}), each input's lifecycle
 * ({@link io.meerkat.runtime.core.ingress.InputLifecycleMachine}) and the runtime-wide content budget
 * ({@link io.meerkat.runtime.core.ingress.QueuedPayloadBudget}).
 *
 * <p>Owned by runtime-core; used by the session driver, and by {@code core.session} for validation.
 * Thread rules differ by class: {@code Ingress} and {@code InputRecord} are not thread safe and are
 * touched only under the session's driver lock; {@code InputValidator} and the policy table are
 * stateless and run before that lock is taken; {@code QueuedPayloadBudget} is shared by every session
 * of a runtime and thread safe (lock-free). Depends on nothing else in runtime-core.
 */
package io.meerkat.runtime.core.ingress;
