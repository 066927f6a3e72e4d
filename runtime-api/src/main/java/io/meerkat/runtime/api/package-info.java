/**
 * What an embedder programs against: {@link io.meerkat.runtime.api.MeerkatRuntime} and
 * {@link io.meerkat.runtime.api.SessionHandle}, and the values they take and return (ids, inputs,
 * states, commands, outcomes, events) and the {@link io.meerkat.runtime.api.MeerkatException} family
 * with its stable codes.
 *
 * <p>Owned by runtime-api; implemented by runtime-core, used by the distribution, the plugin host and
 * every embedder. Its values are records and enums, immutable (collections are copied in), so they may
 * be shared between threads freely; the two interfaces are thread safe and never run a session's work
 * on the caller's thread. Note which thread completes a {@link io.meerkat.runtime.api.Submission}'s
 * future: usually a session's loop thread, which non-async callbacks then hold up.
 */
package io.meerkat.runtime.api;
