/**
 * The scripted session that {@code meerkat demo} runs on the echo executor and prints as a timeline
 * ({@link io.meerkat.distribution.demo.DemoScenario}).
 *
 * <p>Owned by distribution; used only by the {@code demo} command. It runs on the command's thread,
 * prints on the writer the command gives it, and waits for each outcome with a bound, so the demo
 * always ends.
 */
package io.meerkat.distribution.demo;
