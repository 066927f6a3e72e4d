/** Builds and runs Meerkat runtimes. */
package io.meerkat.runtime.core;
