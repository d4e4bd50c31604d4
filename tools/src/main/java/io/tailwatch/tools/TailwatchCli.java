package io.tailwatch.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tailwatch} command line. */
@Command(
    name = "tailwatch",
    mixinStandardHelpOptions = true,
    version = "tailwatch 0.1.0",
    description =
        "Streaming visual inspection: fit memory banks, score images, evaluate on datasets, simulate a "
            + "production line, run the demo.",
    subcommands = {
      FitCommand.class,
      ScoreCommand.class,
      EvaluateCommand.class,
      SimulateCommand.class,
      DemoCommand.class,
      ViewerCommand.class,
      AnnounceCommand.class,
      BankCommand.class,
      ModelsCommand.class,
      TrainCommand.class,
      SimulateCubesCommand.class,
      BenchCommand.class,
      ReplayAdaptationCommand.class,
      CommandLine.HelpCommand.class
    })
public final class TailwatchCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new TailwatchCli());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          // A user error gets one clear line, not a stack trace; TAILWATCH_DEBUG=1 shows the trace.
          cmd.getErr().println(cmd.getColorScheme().errorText("error: " + CliErrors.describe(e)));
          if (System.getenv("TAILWATCH_DEBUG") != null) {
            e.printStackTrace(cmd.getErr());
          }
          return 2;
        });
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
