package io.meerkat.distribution.metrics;

import io.meerkat.runtime.api.RunId;

/**
 * One session's run timing: when its run in flight started and which control command awaits its end. The run
 * is named, so that the end of another one (a previous incarnation of the session, still ending on this node
 * after the session was taken up again) does not take its start.
 */
final class RunClock {

    private static final Ended NOTHING = new Ended(0, null, 0);

    /** What {@link #runEnded} hands back; zero / null where nothing was recorded. */
    record Ended(long startedAt, String controlCommand, long controlAt) {
    }

    private RunId run;
    private long startedAt;
    private String controlCommand;
    private long controlAt;

    synchronized void runStarted(RunId runId, long now) {
        run = runId;
        startedAt = now;
        controlCommand = null;
        controlAt = 0;
    }

    synchronized void controlRequested(String command, long now) {
        // Only a command that finds a run in flight has a latency to measure; the first one counts.
        if (startedAt != 0 && controlCommand == null) {
            controlCommand = command;
            controlAt = now;
        }
    }

    synchronized Ended runEnded(RunId runId, long now) {
        if (!runId.equals(run)) {
            return NOTHING;
        }
        run = null;
        Ended ended = new Ended(startedAt, controlCommand, controlAt);
        startedAt = 0;
        controlCommand = null;
        controlAt = 0;
        return ended;
    }
}
