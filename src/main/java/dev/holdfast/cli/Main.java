package dev.holdfast.cli;

import dev.holdfast.archive.Version;
import dev.holdfast.config.ConfigException;
import dev.holdfast.config.ConfigProblem;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code holdfast} command: builds the command tree and funnels every error to one place. */
@Command(
    name = "holdfast",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Backups that back up, restore, and prove that they can restore.",
    subcommands = {
      InitCommand.class,
      BackupCommand.class,
      RestoreCommand.class,
      ListCommand.class,
      LsCommand.class,
      VerifyCommand.class,
      HistoryCommand.class,
      RunCommand.class,
      StatusCommand.class,
      CopyCommand.class,
      MirrorCommand.class,
      ForgetCommand.class,
      PruneCommand.class,
      DoctorCommand.class,
      ConfigCommand.class,
      DaemonCommand.class,
      ScheduleCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Mixin GlobalOptions global;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  final Map<String, String> env;

  public Main(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /** The configured command line; tests call {@code execute(args)} on it with their own streams. */
  public static CommandLine commandLine(Map<String, String> env) {
    Main main = new Main(env);
    CommandLine cl = new CommandLine(main, new Factory(main));
    cl.setExecutionExceptionHandler(Main::handle);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setUsageHelpAutoWidth(true);
    return cl;
  }

  private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parse) {
    PrintWriter err = cl.getErr();
    Main root = rootOf(cl);
    boolean trace = root != null && root.global.stacktrace();
    if (ex instanceof ConfigException ce) {
      err.println("error: invalid config");
      for (ConfigProblem p : ce.problems()) {
        err.println("  " + p);
      }
      err.println("hint: " + ce.hint());
    } else if (ex instanceof HoldfastException he) {
      err.println("error: " + he.getMessage());
      if (he.hint() != null) {
        err.println("hint: " + he.hint());
      }
    } else {
      err.println("error: unexpected failure: " + ex);
      err.println("hint: run again with --stacktrace and report the output");
    }
    if (trace) {
      ex.printStackTrace(err);
    }
    err.flush();
    return ex instanceof HoldfastException he ? he.exitCode().code() : ExitCode.FAILED.code();
  }

  private static Main rootOf(CommandLine cl) {
    CommandLine c = cl;
    while (c.getParent() != null) {
      c = c.getParent();
    }
    return c.getCommand() instanceof Main m ? m : null;
  }

  /** Gives every subcommand access to the root (environment, global options). */
  private record Factory(Main main) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> cls) throws Exception {
      for (var c : cls.getDeclaredConstructors()) {
        if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == Main.class) {
          c.setAccessible(true);
          return cls.cast(c.newInstance(main));
        }
      }
      return CommandLine.defaultFactory().create(cls);
    }
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {Version.current()};
    }
  }
}
