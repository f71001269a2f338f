package dev.holdfast.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs the quick commands (version, help, list, status, mirror, history) once on a throw-away tree,
 * so that the launcher can record the classes they load in a class-data archive for all of them;
 * with the argument {@code write} or {@code read}, the commands that write data (init, backup,
 * forget --prune) or that read data (restore, verify), for the archive the launcher gives each kind.
 */
public final class StartupTraining {
  private StartupTraining() {}

  /**
   * With no argument (or {@code quick}), trains the quick commands in a temporary directory. With
   * {@code write DIR} or {@code read DIR}, trains those data commands in DIR, which the caller
   * creates, passes to both in turn (write first) and deletes.
   */
  public static void main(String[] args) throws IOException {
    if (args.length == 2 && (args[0].equals("write") || args[0].equals("read"))) {
      trainData(Path.of(args[1]), args[0].equals("read"));
      System.exit(0);
    }
    Path dir = Files.createTempDirectory("holdfast-training-");
    try {
      train(dir);
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(0);
  }

  /** Runs the commands in {@code dir}; returns their exit codes (all 0 when the CLI still takes them). */
  static List<Integer> train(Path dir) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src/sub"));
    // a config of its own, so that no command reads /etc/holdfast/holdfast.yaml: its state directory,
    // run log or notifiers are not for a training run
    Path config = Files.writeString(dir.resolve("holdfast.yaml"), "state_dir: " + quoted(dir.resolve("state")) + "\n"
        + "jobs:\n  training:\n    sources: [" + quoted(dir.resolve("src")) + "]\n    target: " + quoted(dir.resolve("job"))
        + "\n");
    Map<String, String> env = Map.of("HOLDFAST_CONFIG", config.toString(), "HOLDFAST_STATE_DIR", dir.resolve("state").toString(),
        "XDG_CONFIG_HOME", dir.resolve("config").toString(), "HOME", dir.resolve("home").toString());
    for (int i = 0; i < 20; i++) {
      Files.writeString(src.resolve("file-" + i + ".txt"), "training " + i);
    }
    Files.createSymbolicLink(src.resolve("link"), Path.of("file-0.txt"));
    String source = dir.resolve("src").toString();
    String archives = dir.resolve("archives").toString();
    String mirror = dir.resolve("mirror").toString();
    List<String[]> commands = List.of(
        new String[] {"--version"},
        new String[] {"--help"},
        new String[] {"help", "mirror"},
        new String[] {"-q", "backup", "--to", archives, source},
        new String[] {"list", "--from", archives},
        new String[] {"list", "--json", "--from", archives},
        new String[] {"status", "--from", archives, "--max-age", "25h"},
        new String[] {"-q", "mirror", source, "--to", mirror, "--delete"}, // copies
        new String[] {"-q", "mirror", source, "--to", mirror, "--delete"}, // finds nothing to do
        new String[] {"touch"},
        new String[] {"-q", "mirror", source, "--to", mirror, "--delete"}, // updates one file
        new String[] {"history"},
        new String[] {"config", "check"});
    return run(env, commands, () -> Files.writeString(src.resolve("file-1.txt"), "changed"));
  }

  /**
   * Runs the data commands of one kind in {@code dir}: those that write, on a repository and on
   * archives ({@code read} false: init, backups with and without a parent, forget with prune), or those
   * that read ({@code read} true: restore and full verify of the repository the writing run left in
   * {@code dir}, which a separate process runs first so that this one loads only what reading needs).
   * Reading archives is left out: their classes (tar, compression streams, manifests) would make
   * every repository restore map some 8 MB more, for a few milliseconds of class loading in an
   * archive's restore.
   * Returns their exit codes (all 0 when the CLI still takes them).
   */
  static List<Integer> trainData(Path dir, boolean read) throws IOException {
    Path src = dir.resolve("src");
    Path config = dir.resolve("holdfast.yaml");
    Map<String, String> env = Map.of("HOLDFAST_CONFIG", config.toString(),
        "HOLDFAST_STATE_DIR", dir.resolve("state").toString(), "XDG_CONFIG_HOME", dir.resolve("config").toString(),
        "HOME", dir.resolve("home").toString(), "HOLDFAST_PASSWORD", "training");
    String source = src.toString();
    String repo = dir.resolve("repo").toString();
    String archives = dir.resolve("archives").toString();
    if (read) {
      return run(env, List.of(
          new String[] {"-q", "restore", "--from", repo, "latest", "--target", dir.resolve("restored").toString()},
          new String[] {"-q", "verify", "--from", repo, "--level", "full"}),
          () -> {});
    }
    Files.createDirectories(src.resolve("sub"));
    Files.writeString(config, "state_dir: " + quoted(dir.resolve("state")) + "\n"
        + "jobs:\n  training:\n    format: repository\n    password_env: HOLDFAST_PASSWORD\n    sources: [" + quoted(src)
        + "]\n    target: " + quoted(dir.resolve("repo")) + "\n");
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() < 200_000; i++) {
      text.append("2026-01-01T00:00:00Z training line ").append(i).append('\n');
    }
    Files.writeString(src.resolve("log.txt"), text);
    byte[] noise = new byte[200_000]; // incompressible: takes the path that stores a blob uncompressed
    new java.util.Random(1).nextBytes(noise);
    Files.write(src.resolve("noise.bin"), noise);
    for (int i = 0; i < 20; i++) {
      Files.writeString(src.resolve("sub/file-" + i + ".txt"), "training " + i);
    }
    Files.createSymbolicLink(src.resolve("link"), Path.of("log.txt"));
    return run(env, List.of(
        new String[] {"-q", "init", "--to", repo, "--format", "repository"},
        new String[] {"-q", "backup", "--to", repo, source},
        new String[] {"-q", "backup", "--to", archives, "--compression", "zstd", source},
        new String[] {"touch"},
        new String[] {"-q", "backup", "training"},
        new String[] {"-q", "backup", "--to", archives, source},
        new String[] {"-q", "forget", "--from", repo, "--keep-last", "1", "--prune"}),
        () -> Files.writeString(src.resolve("sub/file-1.txt"), "changed"));
  }

  private interface Touch {
    void run() throws IOException;
  }

  private static List<Integer> run(Map<String, String> env, List<String[]> commands, Touch touch) throws IOException {
    List<Integer> codes = new java.util.ArrayList<>();
    for (String[] c : commands) {
      if (c[0].equals("touch")) {
        touch.run();
        continue;
      }
      StringWriter sink = new StringWriter();
      var cl = Main.commandLine(env, c);
      cl.setOut(new PrintWriter(sink));
      cl.setErr(new PrintWriter(sink));
      codes.add(cl.execute(c)); // a failure here only makes the archive smaller
    }
    return codes;
  }

  /** A YAML single-quoted scalar. */
  private static String quoted(Path p) {
    return "'" + p.toString().replace("'", "''") + "'";
  }
}
