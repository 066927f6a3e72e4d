/**
 * How sessions reach a {@link io.meerkat.runtime.api.spi.RuntimeStore}: the group committer that turns
 * many callers' batches into one transaction. Its writer thread is the only caller of the store's
 * {@code commit}; callers wait on futures and hold no session lock while they wait.
 */
package io.meerkat.runtime.core.store;
