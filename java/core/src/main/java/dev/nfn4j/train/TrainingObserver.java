package dev.nfn4j.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a {@link Trainer} run shows beside its files: a step counter per epoch and a plot of the
 * test's predictions. The library's default shows nothing; the CLI draws progress bars on a
 * terminal and writes the scatter plot.
 */
public interface TrainingObserver {
    /** Shows nothing. */
    TrainingObserver NONE = new TrainingObserver() {};

    /** An epoch of {@code steps} steps begins; the counter returned is stepped once per step and closed after the last. */
    default Steps epochStarted(String task, int steps) {
        return Steps.NONE;
    }

    /** Plots the best parameters' test predictions against the targets into {@code png}, or writes nothing. */
    default void testPlot(Path png, String title, float[] actual, float[] predicted) throws IOException {}

    /** A counter of an epoch's steps. */
    interface Steps extends AutoCloseable {
        /** Counts nothing. */
        Steps NONE = new Steps() {
            @Override
            public void step() {}

            @Override
            public void close() {}
        };

        /** One step done. */
        void step();

        /** The epoch is over. */
        @Override
        void close();
    }
}
