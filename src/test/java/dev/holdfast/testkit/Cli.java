package dev.holdfast.testkit;

import dev.holdfast.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs the {@code holdfast} command line in-process as {@code main} builds it (with only the subcommand
 * the arguments name), with its own state directory and config home
 * (so no test touches real state or a real config), capturing what it prints.
 */
public final class Cli {
  private final Map<String, String> env = new HashMap<>();

  /** What one command printed and returned. */
  public record Result(int exitCode, String out, String err) {
    /** Both streams, for messages that may go to either. */
    public String all() {
      return out + err;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  public Cli(Path stateDir) {
    env.put("HOLDFAST_STATE_DIR", stateDir.toString());
    env.put("XDG_CONFIG_HOME", stateDir.resolve("config-home").toString());
    env.put("HOME", stateDir.resolve("home").toString());
  }

  public Cli env(String name, String value) {
    env.put(name, value);
    return this;
  }

  public Map<String, String> env() {
    return Map.copyOf(env);
  }

  public Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(Map.copyOf(env), args);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
