package dev.nfn4j.testing;

import dev.nfn4j.ops.Ops;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** A backend that cannot load shows up as skipped tests with its reason (cuda, in a build without the CUDA backend). */
class TestBackendsTest {
    @Test
    void aMissingBackendsStandInAbortsWithTheReason() {
        assumeFalse(TestBackends.unavailableNamed().isEmpty(), "every backend loads here");
        for (Named<Ops> n : TestBackends.unavailableNamed()) {
            TestAbortedException e = assertThrows(TestAbortedException.class, () -> n.getPayload().alloc(1));
            assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
        }
    }

    @Test
    void simdIsRequiredUnderCi() {
        if (System.getenv("CI") != null) assertTrue(TestBackends.required().contains("simd"));
    }
}
