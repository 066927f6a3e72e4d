package io.meerkat.distribution.metrics;

/** One session's run timing: when its run in flight started and which control command awaits its end. */
final class RunClock {

    /** What {@link #runEnded} hands back; zero / null where nothing was recorded. */
    record Ended(long startedAt, String controlCommand, long controlAt) {
    }

    private long startedAt;
    private String controlCommand;
    private long controlAt;

    synchronized void runStarted(long now) {
        startedAt = now;
    }

    synchronized void controlRequested(String command, long now) {
        // Only a command that finds a run in flight has a latency to measure; the first one counts.
        if (startedAt != 0 && controlCommand == null) {
            controlCommand = command;
            controlAt = now;
        }
    }

    synchronized Ended runEnded(long now) {
        Ended ended = new Ended(startedAt, controlCommand, controlAt);
        startedAt = 0;
        controlCommand = null;
        controlAt = 0;
        return ended;
    }
}
