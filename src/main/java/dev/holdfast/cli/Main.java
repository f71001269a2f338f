package dev.holdfast.cli;

import dev.holdfast.archive.Version;
import dev.holdfast.config.ConfigException;
import dev.holdfast.config.ConfigProblem;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code holdfast} command: builds the command tree and funnels every error to one place. */
@Command(
    name = "holdfast",
    // inherited by every subcommand, so `holdfast backup --help` works as `holdfast help backup` does
    scope = CommandLine.ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Backups that back up, restore, and prove that they can restore.")
public final class Main implements Runnable {
  @CommandLine.Mixin GlobalOptions global;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  static {
    // picocli's default factory looks for Groovy's closure class once, and a class that is not there
    // is looked for in every jar of the class path: all 82 opened (the signed Bouncy Castle ones with
    // their manifests of digests), 20-45 ms on the main thread before the first option is parsed.
    // picocli's documented switch skips that look-up (the jars are opened anyway, see main, but on
    // another thread while the command runs).
    if (System.getProperty("picocli.disable.closures") == null) {
      System.setProperty("picocli.disable.closures", "true");
    }
  }

  final Map<String, String> env;

  public Main(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    List<Class<?>> subcommands = subcommandsFor(args);
    // a CLI run holds its large buffers once: a full collection after the key derivation keeps
    // that garbage out of its peak memory (the daemon, with many runs in one heap, does not)
    boolean daemon = subcommands.size() == 1 && subcommands.get(0) == DaemonCommand.class;
    dev.holdfast.repository.Repository.collectKeyDerivationGarbage(!daemon);
    // SIGTERM and Ctrl-C end the JVM through its shutdown hooks (which delete temporary files and
    // locks and record the run); without this line the command would end without a word
    java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (!finished.get()) {
          System.err.println("error: stopped by a signal (SIGTERM or Ctrl-C) before it finished");
          System.err.flush();
        }
      }, "holdfast-stopped"));
    } catch (IllegalStateException e) {
      // already shutting down
    }
    // System.exit asks the JDK for a logger (to log the exit), and finding its logging back end looks
    // for a provider in every jar of the class path, 82 of them: 20-45 ms at the end of every command
    // (bench/README.md). Asked here on a thread of its own, that search overlaps the command's work.
    Thread.ofPlatform().daemon().name("holdfast-logger-lookup").start(() -> System.getLogger("java.lang.Runtime"));
    int code = commandLine(System.getenv(), subcommands).execute(args);
    finished.set(true);
    System.exit(code);
  }

  /** The configured command line with every subcommand; tests call {@code execute(args)} on it with their own streams. */
  public static CommandLine commandLine(Map<String, String> env) {
    return commandLine(env, ALL_SUBCOMMANDS);
  }

  /**
   * The configured command line for running {@code args}: only the subcommand they name, when that
   * is certain from the words before it. Building picocli's model of every subcommand reads the
   * annotations of a few hundred options and loads their classes, the largest part of a short
   * command's start-up; one subcommand parses, prints help and fails exactly as it does in the full tree,
   * because picocli looks only at the named subcommand once it has matched it. Anything else (no verb,
   * {@code help}, an unknown word, an option it does not know) gets the full tree.
   */
  public static CommandLine commandLine(Map<String, String> env, String[] args) {
    return commandLine(env, subcommandsFor(args));
  }

  private static CommandLine commandLine(Map<String, String> env, List<Class<?>> subcommands) {
    Main main = new Main(env);
    CommandLine cl = new CommandLine(main, new Factory(main));
    for (Class<?> c : subcommands) {
      cl.addSubcommand(c);
    }
    // after the subcommands: these setters apply to the subcommands present when they are called
    cl.setExecutionExceptionHandler(Main::handle);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setUsageHelpAutoWidth(true);
    cl.setParameterExceptionHandler(Main::parameterError);
    if (subcommands != ALL_SUBCOMMANDS) {
      cl.setParameterExceptionHandler((ex, args) -> {
        if (ex.getCommandLine() != cl) {
          return parameterError(ex, args);
        }
        // a mistake in the words before the verb (say, -q twice): the full tree reports it, with the
        // full usage; nothing has run yet
        CommandLine full = commandLine(env, ALL_SUBCOMMANDS);
        full.setOut(cl.getOut());
        full.setErr(cl.getErr());
        return full.execute(args);
      });
    }
    return cl;
  }

  /** Every subcommand, in the order {@code holdfast --help} lists them. */
  static final List<Class<?>> ALL_SUBCOMMANDS = List.of(
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
      UnlockCommand.class,
      MirrorCommand.class,
      ForgetCommand.class,
      PruneCommand.class,
      DoctorCommand.class,
      ConfigCommand.class,
      DaemonCommand.class,
      ScheduleCommand.class,
      CommandLine.HelpCommand.class);

  /**
   * The subcommand named {@code verb} (a name or an alias), or null. A switch, not a map, so that
   * finding one does not load the others' classes; MainTest checks it against the annotations.
   */
  static Class<?> subcommand(String verb) {
    return switch (verb) {
      case "init" -> InitCommand.class;
      case "backup" -> BackupCommand.class;
      case "restore" -> RestoreCommand.class;
      case "list", "snapshots" -> ListCommand.class;
      case "ls" -> LsCommand.class;
      case "verify" -> VerifyCommand.class;
      case "history" -> HistoryCommand.class;
      case "run" -> RunCommand.class;
      case "status" -> StatusCommand.class;
      case "copy" -> CopyCommand.class;
      case "unlock" -> UnlockCommand.class;
      case "mirror" -> MirrorCommand.class;
      case "forget" -> ForgetCommand.class;
      case "prune" -> PruneCommand.class;
      case "doctor" -> DoctorCommand.class;
      case "config" -> ConfigCommand.class;
      case "daemon" -> DaemonCommand.class;
      case "schedule" -> ScheduleCommand.class;
      case "help" -> CommandLine.HelpCommand.class;
      default -> null;
    };
  }

  /**
   * The subcommands the command line for {@code args} needs: the one they name; none for a bare
   * {@code --version}; all of them whenever in doubt. Only the global options (GlobalOptions and the
   * standard help options) can come before the verb; any other word there is an error picocli must
   * report with the full usage, and an option value that is a subcommand name is one picocli refuses.
   */
  static List<Class<?>> subcommandsFor(String[] args) {
    boolean version = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--config", "-o", "--limit-upload", "--retry-lock" -> {
          if (i + 1 >= args.length || !plainValue(args[i + 1])) {
            return ALL_SUBCOMMANDS;
          }
          i++;
        }
        case "--json", "-q", "--quiet", "-v", "--verbose", "--stacktrace" -> {
          // a flag: the verb comes later
        }
        case "-V", "--version" -> version = true;
        default -> {
          if (isFlagCluster(a) || isAttachedValue(a)) {
            continue;
          }
          Class<?> sub = subcommand(a);
          if (sub == null || sub == CommandLine.HelpCommand.class || version) {
            return ALL_SUBCOMMANDS; // no verb, an unknown word, `help` (which lists its siblings)
          }
          return List.of(sub);
        }
      }
    }
    return version ? List.of() : ALL_SUBCOMMANDS;
  }

  /** A word picocli takes as it is: not an option, not an @argument-file, not a subcommand's name. */
  private static boolean plainValue(String a) {
    return !a.isEmpty() && !a.startsWith("-") && !a.startsWith("@") && subcommand(a) == null;
  }

  /** {@code -qv}, {@code -vv}: clustered short flags of the global options. */
  private static boolean isFlagCluster(String a) {
    if (a.length() < 3 || a.charAt(0) != '-') {
      return false;
    }
    for (int i = 1; i < a.length(); i++) {
      if (a.charAt(i) != 'q' && a.charAt(i) != 'v') {
        return false;
      }
    }
    return true;
  }

  private static boolean isAttachedValue(String a) {
    return a.startsWith("--config=") || a.startsWith("--limit-upload=") || a.startsWith("--retry-lock=");
  }

  /**
   * A mistake on the command line, as every other error is reported: one {@code error:} line and a
   * {@code hint:} (picocli's suggestions for a misspelt option or command, else where the usage is),
   * exit 2. Only a bare {@code holdfast} prints the whole usage as well.
   */
  static int parameterError(CommandLine.ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    String msg = ex.getMessage() == null ? "invalid command line" : ex.getMessage();
    if (cl.getParent() == null && ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      msg = "unknown command '" + u.getUnmatched().get(0) + "'";
    }
    err.println("error: " + (msg.isEmpty() ? msg : Character.toLowerCase(msg.charAt(0)) + msg.substring(1)));
    String help = cl.getCommandSpec().qualifiedName() + " --help";
    List<String> suggestions = ex instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions() : List.of();
    if (!suggestions.isEmpty()) {
      err.println("hint: did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size())))
          + "? (" + help + " lists them)");
    } else {
      err.println("hint: " + help + " shows the usage");
    }
    if (cl.getParent() == null && "missing command".equals(msg)) {
      err.println();
      cl.usage(err);
    }
    err.flush();
    return cl.getCommandSpec().exitCodeOnInvalidInput();
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
    int code = ex instanceof HoldfastException he ? he.exitCode().code() : ExitCode.FAILED.code();
    if (root != null && root.global.json && !Json.printedTo(cl.getOut())) {
      Json.print(cl.getOut(), jsonError(ex, code));
    }
    return code;
  }

  /**
   * With {@code --json}, a command that fails before its JSON document says so on stdout too, so a
   * script reading stdout gets a document either way: {@code {"error": …, "hint": …, "exit_code": N}},
   * and for an invalid config the problems, each with file, line and key.
   */
  private static Map<String, Object> jsonError(Exception ex, int code) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    if (ex instanceof ConfigException ce) {
      m.put("error", "invalid config");
      m.put("hint", "fix these, then run: holdfast config check");
      m.put("problems", ce.problems());
    } else if (ex instanceof HoldfastException he) {
      m.put("error", he.getMessage());
      m.put("hint", he.hint());
    } else {
      m.put("error", "unexpected failure: " + ex);
    }
    m.put("exit_code", code);
    return m;
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
