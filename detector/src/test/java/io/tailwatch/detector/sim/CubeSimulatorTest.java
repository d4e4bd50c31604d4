package io.tailwatch.detector.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.tailwatch.detector.hyperspectral.CubeDecision;
import io.tailwatch.detector.hyperspectral.CubeScorer;
import io.tailwatch.detector.scoring.RegionBox;
import org.junit.jupiter.api.Test;

class CubeSimulatorTest {
  @Test
  void deterministicPerIndexAndTargetsWhereTheMaskSays() {
    CubeSimulator sim = new CubeSimulator(4, 32, 40, 24, 0.5);
    assertThat(sim.cube(3).cube().values()).containsExactly(sim.cube(3).cube().values());
    int withTarget = 0;
    for (int i = 0; i < 40; i++) {
      CubeSimulator.SimulatedCube c = sim.cube(i);
      int marked = 0;
      for (boolean b : c.anomalous()) {
        marked += b ? 1 : 0;
      }
      assertThat(marked).isEqualTo(c.hasTarget() ? 10 : 0); // a 3x3 block and one sub-pixel target
      withTarget += c.hasTarget() ? 1 : 0;
      for (float v : c.cube().values()) {
        assertThat(v).isBetween(0f, 65535f);
      }
    }
    assertThat(withTarget).isBetween(10, 30);
    CubeSimulator smallest =
        new CubeSimulator(1, 8, 8, 4, 1.0); // the smallest size still places both targets
    for (int i = 0; i < 20; i++) {
      int marked = 0;
      for (boolean b : smallest.cube(i).anomalous()) {
        marked += b ? 1 : 0;
      }
      assertThat(marked).isEqualTo(10);
    }
  }

  @Test
  void selfFittedRxFlagsTargetCubesAndLocatesTheBlock() throws Exception {
    CubeSimulator sim = new CubeSimulator(9, 32, 40, 24, 0.5);
    CubeScorer rx = CubeScorer.rx(1e-4);
    int hits = 0;
    int targets = 0;
    int falseAlarms = 0;
    for (int i = 0; i < 30; i++) {
      CubeSimulator.SimulatedCube c = sim.cube(i);
      CubeDecision d = CubeDecision.of(rx.score(c.cube()), 40, 32, 10, 1);
      if (c.hasTarget()) {
        targets++;
        hits += d.anomalous() ? 1 : 0;
        RegionBox top = d.regions().get(0);
        int centre = (top.y() + top.height() / 2) * 40 + top.x() + top.width() / 2;
        assertThat(c.anomalous()[centre]).as("cube %d: strongest region on the target", i).isTrue();
        assertThat(d.calibrated()).isLessThan(1e-6);
      } else {
        falseAlarms += d.anomalous() ? 1 : 0;
      }
    }
    assertThat(hits).isEqualTo(targets);
    assertThat(falseAlarms).isLessThanOrEqualTo(1);
  }
}
