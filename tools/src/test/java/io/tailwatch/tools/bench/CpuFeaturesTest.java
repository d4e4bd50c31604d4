package io.tailwatch.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuFeaturesTest {
  @TempDir Path dir;

  @Test
  void namesTheModelTheCoresAndWhichVectorExtensionsArePresent() throws Exception {
    Path cpuinfo =
        Files.writeString(
            dir.resolve("cpuinfo"),
            "processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: fpu sse avx2 fma avx512f avx512bw"
                + " avx512_vnni\n\nprocessor\t: 1\nmodel name\t: Some Xeon\nflags\t\t: fpu\n");
    assertThat(CpuFeatures.describe(cpuinfo, 2))
        .isEqualTo(
            "CPU: Some Xeon, 2 cores available to the JVM; features: avx2 fma avx512f avx512bw"
                + " avx512_vnni (absent: avx_vnni avx512_bf16 amx_bf16 amx_int8)");
    assertThat(CpuFeatures.describe(dir.resolve("missing"), 4))
        .startsWith("CPU: 4 cores available to the JVM; features unknown");
  }
}
