package io.meerkat.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The benchmarks' temporary folders (stores of hundreds of megabytes, plugin folders): deleted, with all they
 * hold, when the trial that made them ends, so that runs do not fill the disk.
 */
final class TempFolders {

    private TempFolders() {
    }

    /** Deletes {@code folder} and everything in it; nothing happens for {@code null} or a folder already gone. */
    static void delete(Path folder) {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the benchmark's folder " + folder, e);
        }
    }
}
