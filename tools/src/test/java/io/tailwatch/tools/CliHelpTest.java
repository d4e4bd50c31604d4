package io.tailwatch.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's --help renders as written: picocli formats descriptions, so a bare '%' breaks.
 */
class CliHelpTest {
  @Test
  void everyCommandsHelpRendersWithoutAFormatWarning() {
    List<CommandLine> commands = new ArrayList<>();
    collect(TailwatchCli.commandLine(), commands);
    PrintStream originalErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    // picocli's tracer writes its "Could not format" warning to System.err, not to the command's
    // err
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (CommandLine command : commands) {
        assertThat(command.getUsageMessage()).as(command.getCommandName()).isNotBlank();
      }
    } finally {
      System.setErr(originalErr);
    }
    assertThat(commands).hasSizeGreaterThan(10);
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("Could not format");
  }

  private static void collect(CommandLine command, List<CommandLine> into) {
    into.add(command);
    command.getSubcommands().values().forEach(sub -> collect(sub, into));
  }
}
