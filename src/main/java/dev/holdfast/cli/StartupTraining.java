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
 * Runs the quick commands (version, help, list, history, status, mirror) once on a throw-away tree,
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

  private static void train(Path dir) throws IOException {
    Map<String, String> env = Map.of("HOLDFAST_STATE_DIR", dir.resolve("state").toString(),
        "XDG_CONFIG_HOME", dir.resolve("config").toString(), "HOME", dir.resolve("home").toString());
    Path src = Files.createDirectories(dir.resolve("src/sub"));
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
        new String[] {"mirror", "--help"},
        new String[] {"-q", "backup", "--to", archives, source},
        new String[] {"list", "--from", archives},
        new String[] {"list", "--json", "--from", archives},
        new String[] {"status", "--from", archives, "--max-age", "25h"},
        new String[] {"-q", "mirror", source, "--to", mirror, "--delete"}, // copies
        new String[] {"-q", "mirror", source, "--to", mirror, "--delete"}, // finds nothing to do
        new String[] {"touch"},
        new String[] {"-q", "mirror", source, "--to", mirror, "--delete"}, // updates one file
        new String[] {"history"});
    for (String[] c : commands) {
      if (c[0].equals("touch")) {
        Files.writeString(src.resolve("file-1.txt"), "changed");
        continue;
      }
      StringWriter sink = new StringWriter();
      var cl = Main.commandLine(env, c);
      cl.setOut(new PrintWriter(sink));
      cl.setErr(new PrintWriter(sink));
      cl.execute(c); // a failure here only makes the archive smaller
    }
  }
}
