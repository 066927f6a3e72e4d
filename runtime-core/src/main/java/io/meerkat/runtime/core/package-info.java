/**
 * The entry point of runtime-core: {@link io.meerkat.runtime.core.MeerkatRuntimeBuilder}, the only
 * package the module exports. Embedders build a runtime here and use it through the interfaces of
 * {@code io.meerkat.runtime.api}; everything else in runtime-core is internal.
 *
 * <p>Package layers, each depending only on those after it (checked by {@code PackageCycleTest}):
 * this package; {@code core.session} (the runtime and its sessions); {@code core.loop} (one runtime
 * loop per session); {@code core.driver} (one session's state behind its lock); {@code core.control},
 * {@code core.ingress} and {@code core.events}. A builder is not thread safe: configure and build it
 * on one thread.
 */
package io.meerkat.runtime.core;
