/**
 * The {@code meerkat} command line (picocli): {@code serve}, {@code demo} and {@code plugins}, their
 * shared launcher flags, and the start-up progress lines on standard error.
 *
 * <p>Owned by distribution; not exported (opened to picocli only). Single-threaded: a command runs on
 * the main thread, and {@code serve} then waits for the launcher to be closed. What the operator reads
 * on the terminal is written here (and by the demo, on the writer this package hands it); the rest of
 * the distribution logs through SLF4J.
 */
package io.meerkat.distribution.cli;
