package dev.nfn4j.cli;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A PNG scatter plot of predicted against actual values, with the diagonal, written atomically. */
final class ScatterPlot {
    private ScatterPlot() {}

    static void write(Path png, String title, float[] actual, float[] predicted) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(640).height(560).title(title).xAxisTitle("actual").yAxisTitle("predicted").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setMarkerSize(4);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        double[] x = new double[actual.length], y = new double[actual.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = actual[i];
            y[i] = predicted[i];
            lo = Math.min(lo, Math.min(x[i], y[i]));
            hi = Math.max(hi, Math.max(x[i], y[i]));
        }
        chart.addSeries("networks", x, y);
        XYSeries diag = chart.addSeries("y = x", new double[]{lo, hi}, new double[]{lo, hi});
        diag.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        diag.setMarker(SeriesMarkers.NONE);
        save(chart, png);
    }

    /** Writes a chart as a PNG atomically (a temporary file beside it, then a rename). */
    static void save(XYChart chart, Path png) throws IOException {
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        // saveBitmap appends ".png" to the name it is given
        Path written = tmp.resolveSibling(tmp.getFileName() + ".png");
        Files.move(written, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
