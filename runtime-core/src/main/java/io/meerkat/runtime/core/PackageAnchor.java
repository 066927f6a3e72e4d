package io.meerkat.runtime.core;

/** Keeps the exported package non-empty until the runtime builder lands here; delete it then. */
final class PackageAnchor {

    private PackageAnchor() {
    }
}
