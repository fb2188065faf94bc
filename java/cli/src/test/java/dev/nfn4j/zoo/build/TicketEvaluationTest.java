package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TicketEvaluationTest {
    private static TicketEvaluation.Row row(String name, double[][] acc) {
        return new TicketEvaluation.Row(name, acc, new double[acc.length][acc[0].length]);
    }

    /** Means and spreads over seeds, the share of the random-to-IMP gap, and the target's verdict per predictor at 0.1 and 0.05. */
    @Test
    void tableMeansOverSeedsAndJudgesTheTarget() {
        TicketEvaluation.Result r = new TicketEvaluation.Result(new float[]{0.5f, 0.1f, 0.05f}, 4, 0.8, 0, List.of(
                row(TicketEvaluation.IMP, new double[][]{{0.82, 0.82, 0.80}}),
                row("NP", new double[][]{{0.80, 0.80, 0.78}, {0.80, 0.80, 0.76}, {0.80, 0.80, 0.77}}),
                row("MLP", new double[][]{{0.70, 0.70, 0.70}}),
                row(TicketEvaluation.MAGNITUDE, new double[][]{{0.79, 0.79, 0.78}}),
                row(TicketEvaluation.RANDOM, new double[][]{{0.78, 0.78, 0.74}, {0.78, 0.78, 0.74}, {0.78, 0.78, 0.74}})));
        TicketEvaluation.Row np = r.row("NP");
        assertEquals(0.77, np.meanAccuracy(2), 1e-12);
        assertEquals(0.01, np.stdAccuracy(2), 1e-12);
        assertEquals(0, r.row(TicketEvaluation.IMP).stdAccuracy(0));
        assertEquals(0.5, r.gapClosed("NP", 1), 1e-9); // (0.80 - 0.78) / (0.82 - 0.78)
        assertEquals(0.5, r.gapClosed("NP", 2), 1e-9); // (0.77 - 0.74) / (0.80 - 0.74)
        String text = r.format();
        assertTrue(text.contains("target   NP   density 0.1 : beats random (+0.0200), beats magnitude (+0.0100), closes 50% of the random->IMP gap: met"), text);
        assertTrue(text.contains("target   NP   density 0.05: beats random (+0.0300), does not beat magnitude (-0.0100)"), text);
        assertTrue(text.contains("target   MLP  density 0.1 : does not beat random"), text);
        assertTrue(!text.contains("target   NP   density 0.5"), text);
    }
}
