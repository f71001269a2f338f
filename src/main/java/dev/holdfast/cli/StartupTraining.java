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
 * so that the launcher can record the classes they load in a class-data archive for all of them.
 */
public final class StartupTraining {
  private StartupTraining() {}

  public static void main(String[] args) throws IOException {
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
    List<Integer> codes = new java.util.ArrayList<>();
    for (String[] c : commands) {
      if (c[0].equals("touch")) {
        Files.writeString(src.resolve("file-1.txt"), "changed");
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
