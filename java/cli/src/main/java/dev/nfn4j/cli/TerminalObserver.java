package dev.nfn4j.cli;

import dev.nfn4j.train.TrainingObserver;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.nio.file.Path;

/** A training run as the CLI shows it: a progress bar per epoch on a terminal (none in logs), and the test's scatter plot. */
final class TerminalObserver implements TrainingObserver {
    @Override
    public Steps epochStarted(String task, int steps) {
        if (System.console() == null) return Steps.NONE;
        ProgressBar pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250).continuousUpdate().clearDisplayOnFinish().build();
        return new Steps() {
            @Override
            public void step() {
                pb.step();
            }

            @Override
            public void close() {
                pb.close();
            }
        };
    }

    @Override
    public void testPlot(Path png, String title, float[] actual, float[] predicted) throws IOException {
        ScatterPlot.write(png, title, actual, predicted);
    }
}
