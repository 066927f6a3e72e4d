package com.example.shout;

import org.pf4j.Plugin;

/**
 * The plugin's entry point. PF4J calls {@link #start()} when the runtime loads the plugin and
 * {@link #stop()} after the runtime has stopped every session running this plugin's executors.
 * Most executor plugins need nothing here.
 */
public class ShoutPlugin extends Plugin {
}
