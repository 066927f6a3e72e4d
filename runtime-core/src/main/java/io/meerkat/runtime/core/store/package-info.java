/**
 * How sessions reach a {@link io.meerkat.runtime.api.spi.RuntimeStore}: the group committer that turns
 * many callers' batches into one transaction. Its writer thread is the only caller of the store's
 * {@code commit} and takes no lock of a session; a session driver waits for its commit under its own lock
 * (so that a session's writes are in the order of its changes), which this order makes safe.
 */
package io.meerkat.runtime.core.store;
