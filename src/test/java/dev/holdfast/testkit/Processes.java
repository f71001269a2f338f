package dev.holdfast.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs real programs for tests: GNU tools ({@code tar}, {@code zstd}, {@code python3}) and the
 * holdfast CLI in a child JVM (for kill and privilege tests, which need a process of their own).
 */
public final class Processes {
  private Processes() {}

  /** A finished process: exit code and both outputs. */
  public record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** Runs a command to completion (at most 10 minutes) in {@code dir}. */
  public static Result run(Path dir, List<String> command) {
    return run(dir, command, Map.of());
  }

  public static Result run(Path dir, List<String> command, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + command);
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException("running " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + command, e);
    }
  }

  /** Runs a command and fails the test unless it exits 0. */
  public static Result check(Path dir, String... command) {
    Result r = run(dir, List.of(command));
    if (r.exitCode() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + r);
    }
    return r;
  }

  static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(unreadable: " + e + ")";
      }
    });
  }

  /** The command that runs {@code holdfast args...} in a new JVM with this test's classpath. */
  public static List<String> holdfastCommand(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.holdfast.cli.Main");
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Starts {@code prefix... java ... holdfast args...} with the CLI's environment; output goes to files. */
  public static Process startHoldfast(Cli cli, Path logDir, List<String> prefix, String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(holdfastCommand(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(cli.env());
    try {
      Files.createDirectories(logDir);
      pb.redirectOutput(logDir.resolve("stdout.txt").toFile());
      pb.redirectError(logDir.resolve("stderr.txt").toFile());
      Process p = pb.start();
      p.getOutputStream().close();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + cmd, e);
    }
  }

  /** Runs the CLI in a child JVM whose whole heap is {@code maxHeap} (e.g. "64m"): proof of streaming. */
  public static Result runHoldfastInHeap(Cli cli, String maxHeap, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"),
        "dev.holdfast.cli.Main"));
    cmd.addAll(List.of(args));
    return run(Path.of(System.getProperty("java.io.tmpdir")), cmd, cli.env());
  }

  public static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  public static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
