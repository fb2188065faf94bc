package dev.nfn4j.cli;

import dev.nfn4j.zoo.build.TicketEvaluation;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The picture of the ticket experiment: test accuracy against density (log scale) for each mask
 * source of a {@link TicketEvaluation}, the mean over seeds, with the dense networks' accuracy as
 * a flat line.
 */
public final class TicketPlot {
    private TicketPlot() {
    }

    public static void write(Path png, TicketEvaluation.Result r) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(720).height(520).title("Tickets: test accuracy of masked training from the initialisation")
                .xAxisTitle("density (fraction of weights kept)").yAxisTitle("test accuracy").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(6);
        float[] d = r.densities();
        double[] x = new double[d.length];
        for (int k = 0; k < d.length; k++) x[k] = d[k];
        for (TicketEvaluation.Row row : r.rows()) {
            double[] y = new double[d.length];
            for (int k = 0; k < d.length; k++) y[k] = row.meanAccuracy(k);
            String name = r.temperature() > 0 && TicketEvaluation.isPredictor(row.source()) ? row.source() + " (drawn, T = " + r.temperature() + ")" : row.source();
            chart.addSeries(name, x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        double[] lo = {x[x.length - 1], x[0]};
        chart.addSeries("dense", lo, new double[]{r.denseAccuracy(), r.denseAccuracy()}).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        ScatterPlot.save(chart, png);
    }
}
