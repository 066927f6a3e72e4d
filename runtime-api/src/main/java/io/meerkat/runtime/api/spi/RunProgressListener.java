package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.RunId;

/**
 * Where an executor reports how a run is going (a subprocess's progress line, a streamed token
 * count). The runtime publishes each report as a {@link io.meerkat.runtime.api.RunEvent.RunProgress}
 * event of the session, in order with the run's other events; reports about a run that has ended
 * are dropped. Thread safe; callable from any thread; never blocks.
 */
@FunctionalInterface
public interface RunProgressListener {

    /** Ignores every report. */
    RunProgressListener NONE = (runId, message) -> { };

    void onProgress(RunId runId, String message);
}
