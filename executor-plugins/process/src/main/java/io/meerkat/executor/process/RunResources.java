package io.meerkat.executor.process;

import io.meerkat.runtime.api.spi.RunProgressListener;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a {@link ProcessRun} uses besides its settings.
 *
 * @param codec    reads and writes protocol lines
 * @param blocking where the threads reading the program's stdout and stderr come from (the factory's pool)
 * @param timer    the factory's timer for timeouts and grace periods
 * @param liveRuns the factory's registry of runs whose process may be alive
 * @param groups   starts programs in their own process group and signals it, where the machine can
 * @param ledger   records the running programs on disk, for the next start should this runtime be killed
 * @param progress where progress lines are reported
 */
record RunResources(ProtocolCodec codec, Executor blocking, ScheduledExecutorService timer, LiveRuns liveRuns,
                    ProcessGroups groups, AgentLedger ledger, RunProgressListener progress) {

    RunResources {
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(blocking, "blocking");
        Objects.requireNonNull(timer, "timer");
        Objects.requireNonNull(liveRuns, "liveRuns");
        Objects.requireNonNull(groups, "groups");
        Objects.requireNonNull(ledger, "ledger");
        Objects.requireNonNull(progress, "progress");
    }
}
