/**
 * The runtime control machine: the single owner of which {@link io.meerkat.runtime.api.RuntimeState}
 * may follow which, and of the effects each transition asks its caller to carry out.
 */
package io.meerkat.runtime.core.control;
