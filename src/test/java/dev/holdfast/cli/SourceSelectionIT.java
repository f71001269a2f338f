package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a configured job selects, judged by GNU tar's listing of the archive: glob sources, name and
 * path excludes, exclude_if_present markers, and one_file_system against a real tmpfs mounted
 * inside the source (root is needed to mount; CI runs as root).
 */
class SourceSelectionIT {
  @TempDir Path tmp;

  private static void write(Path f) throws Exception {
    Files.createDirectories(f.getParent());
    Files.writeString(f, f.getFileName().toString());
  }

  private List<String> backupAndList(String jobYaml) throws Exception {
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, "jobs:\n  sel:\n" + jobYaml.indent(4) + "    target: " + tmp.resolve("target") + "\n");
    Cli.Result r = new Cli(tmp.resolve("state")).run("--config", config.toString(), "backup", "sel");
    assertThat(r.exitCode()).as(r.all()).isZero();
    Path archive;
    try (Stream<Path> s = Files.walk(tmp.resolve("target"))) {
      archive = s.filter(p -> p.toString().endsWith(".tar.gz")).sorted().reduce((a, b) -> b).orElseThrow();
    }
    Processes.Result tar = Processes.check(tmp, "tar", "-tzf", archive.toString());
    Files.delete(archive);
    String prefix = tmp.toString().substring(1) + "/";
    return tar.out().lines().map(l -> l.startsWith(prefix) ? l.substring(prefix.length()) : l).toList();
  }

  @Test
  void globsExcludesAndMarkersSelectWhatTheDocsSay() throws Exception {
    write(tmp.resolve("logs/app.log"));
    write(tmp.resolve("logs/db.log"));
    write(tmp.resolve("logs/notes.txt"));
    write(tmp.resolve("home/anna/doc.txt"));
    write(tmp.resolve("home/anna/x.tmp"));
    write(tmp.resolve("home/anna/.cache/blob"));
    write(tmp.resolve("home/anna/proj/node_modules/lib/index.js"));
    write(tmp.resolve("home/anna/proj/build/tmp/o.o"));
    write(tmp.resolve("home/anna/proj/build/out.bin"));
    write(tmp.resolve("home/anna/scratch/.nobackup"));
    write(tmp.resolve("home/anna/scratch/big.iso"));
    write(tmp.resolve("home/bob/.cache/blob"));

    List<String> listed = backupAndList("""
        sources: [%s/logs/*.log, %s/home]
        exclude: ["*.tmp", node_modules, "%s/home/*/.cache", "**/build/tmp"]
        exclude_if_present: .nobackup
        """.formatted(tmp, tmp, tmp));

    assertThat(listed).contains("logs/app.log", "logs/db.log", "home/anna/doc.txt", "home/anna/proj/build/out.bin");
    assertThat(listed).noneMatch(l -> l.contains("notes.txt"))
        .noneMatch(l -> l.endsWith(".tmp"))
        .noneMatch(l -> l.contains("node_modules"))
        .noneMatch(l -> l.contains(".cache"))
        .noneMatch(l -> l.contains("build/tmp"))
        .noneMatch(l -> l.contains("scratch"));
  }

  @Test
  void oneFileSystemStopsAtAMountPoint() throws Exception {
    assumeThat(Processes.isRoot()).as("mounting a tmpfs needs root").isTrue();
    write(tmp.resolve("data/own.txt"));
    Path mnt = Files.createDirectories(tmp.resolve("data/mnt"));
    Processes.check(tmp, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString());
    try {
      write(mnt.resolve("other-fs.txt"));
      List<String> all = backupAndList("sources: [%s/data]\n".formatted(tmp));
      assertThat(all).contains("data/own.txt", "data/mnt/other-fs.txt");
      List<String> one = backupAndList("sources: [%s/data]\none_file_system: true\n".formatted(tmp));
      assertThat(one).contains("data/own.txt").noneMatch(l -> l.contains("other-fs.txt"));
    } finally {
      Processes.run(tmp, List.of("umount", mnt.toString()));
    }
  }
}
