package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify --level quick} and {@code --level restore-test} from the CLI on a files backup:
 * what each level catches, and that quick reads no archive data.
 */
class VerifyLevelsCliTest {
  @TempDir Path tmp;
  private Path target;
  private Path archive;
  private String key;
  private Cli cli;

  @BeforeEach
  void backUp() throws IOException {
    Random random = new Random(11);
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), random, 200_000); // incompressible, 200 kB
    Trees.randomFile(src.resolve("dir/b.bin"), random, 5_000);
    Files.writeString(src.resolve("dir/notes.txt"), "hello\n".repeat(1000));
    Files.createSymbolicLink(src.resolve("link"), Path.of("dir/notes.txt"));
    target = tmp.resolve("target");
    cli = new Cli(tmp.resolve("state"));
    Cli.Result r = cli.run("backup", "--to", target.toString(), src.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    try (var s = Files.list(target.resolve("backup"))) {
      archive = s.filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
    }
    key = "backup/" + archive.getFileName();
  }

  private Cli.Result verify(String level) {
    return cli.run("verify", "--from", target.toString(), "--level", level);
  }

  private Path sidecar(String suffix) {
    return archive.resolveSibling(archive.getFileName() + suffix);
  }

  @Test
  void quickPassesOnACleanBackup() {
    Cli.Result r = verify("quick");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).startsWith("ok       " + key + " (quick: ").contains("sidecars and sizes");
  }

  @Test
  void quickCatchesAMissingSidecar() throws IOException {
    Files.delete(sidecar(".sha256"));
    Cli.Result r = verify("quick");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.out()).contains("DAMAGED  " + key).contains("checksum sidecar " + key + ".sha256 is missing");
  }

  @Test
  void quickCatchesATruncatedObjectByItsSize() throws IOException {
    long size = Files.size(archive);
    try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.WRITE)) {
      ch.truncate(size - 1);
    }
    Cli.Result r = verify("quick");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.out()).contains("DAMAGED  " + key)
        .contains("stored size " + (size - 1) + " bytes differs from the manifest's " + size + " bytes");
  }

  @Test
  void quickReadsNoArchiveDataSoSameSizeGarbageOnlyFailsFull() throws IOException {
    // same size, every byte replaced: only a level that reads the data can notice
    byte[] garbage = new byte[(int) Files.size(archive)];
    new Random(1).nextBytes(garbage);
    Files.write(archive, garbage);
    Cli.Result quick = verify("quick");
    assertThat(quick.exitCode()).as(quick.toString()).isZero();
    Cli.Result full = verify("full");
    assertThat(full.exitCode()).as(full.toString()).isEqualTo(4);
  }

  @Test
  void restoreTestPassesOnACleanFilesBackup() {
    Cli.Result r = verify("restore-test");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).startsWith("ok       " + key + " (restore-test: ");
    assertThat(r.err()).doesNotContain("WARNING");
  }

  @Test
  void restoreTestCatchesAManifestThatDisagreesWithTheContent() throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode m = (ObjectNode) json.readTree(sidecar(".manifest.json").toFile());
    String edited = null;
    for (var e : m.withArray("entries")) {
      if (e.get("path").asText().endsWith("dir/b.bin")) {
        ((ObjectNode) e).put("sha256", "0".repeat(64));
        edited = e.get("path").asText();
      }
    }
    assertThat(edited).isNotNull();
    json.writeValue(sidecar(".manifest.json").toFile(), m);

    Cli.Result r = verify("restore-test");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.out()).contains("DAMAGED  " + key).contains(edited + ": ");
    assertThat(r.err()).contains("error: 1 of 1 backups damaged; " + key + ": " + edited + ": ");
  }

  @Test
  void restoreTestCatchesAFileTheManifestListsButTheArchiveLacks() throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode m = (ObjectNode) json.readTree(sidecar(".manifest.json").toFile());
    ObjectNode ghost = m.withArray("entries").get(0).deepCopy();
    String path = ghost.get("path").asText().replaceAll("[^/]+$", "") + "ghost.txt";
    ghost.put("path", path).put("type", "file").put("size", 3).put("sha256", "a".repeat(64));
    m.withArray("entries").add(ghost);
    json.writeValue(sidecar(".manifest.json").toFile(), m);

    Cli.Result r = verify("restore-test");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.out()).contains(path + ": ");
  }
}
