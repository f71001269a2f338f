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
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast verify} on a clean archive (exit 0) and on each kind of damage (exit 4 naming the
 * backup, or the entry): a flipped byte, a wrong SHA-256 in the manifest, truncation, a missing
 * sidecar. Restoring a damaged archive also exits 4 and leaves the target untouched.
 */
class VerifyDamageTest {
  @TempDir Path tmp;
  private Path target;
  private Path archive;
  private String key;
  private Cli cli;

  @BeforeEach
  void backUp() throws IOException {
    Random random = new Random(4);
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("big.bin"), random, 3 << 20); // incompressible: the middle byte is file data
    Trees.randomFile(src.resolve("small.bin"), random, 1000);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      text.append("line ").append(random.nextInt(1_000_000)).append('\n');
    }
    Files.writeString(src.resolve("notes.txt"), text); // ~250 kB
    target = tmp.resolve("target");
    cli = new Cli(tmp.resolve("state"));
    Cli.Result r = cli.run("backup", "--to", target.toString(), src.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    try (var s = Files.list(target.resolve("backup"))) {
      archive = s.filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
    }
    key = "backup/" + archive.getFileName();
  }

  @Test
  void aCleanArchiveVerifies() {
    Cli.Result r = verify();
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).startsWith("ok       " + key);
  }

  @Test
  void aFlippedByteIsDamage() throws IOException {
    flipByteAt(Files.size(archive) / 2);
    Cli.Result r = verify();
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.out()).contains("DAMAGED  " + key);
    assertThat(r.err()).contains("error: 1 of 1 backups damaged; " + key);
  }

  @Test
  void aWrongSha256InTheManifestNamesTheEntry() throws IOException {
    Path manifest = archive.resolveSibling(archive.getFileName() + ".manifest.json");
    ObjectMapper json = new ObjectMapper();
    ObjectNode m = (ObjectNode) json.readTree(manifest.toFile());
    String edited = null;
    for (var e : m.withArray("entries")) {
      if (e.get("path").asText().endsWith("/notes.txt")) {
        ((ObjectNode) e).put("sha256", "0".repeat(64));
        edited = e.get("path").asText();
      }
    }
    assertThat(edited).isNotNull();
    json.writeValue(manifest.toFile(), m);

    Cli.Result r = verify();
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.err()).contains(key).contains(edited + ": content SHA-256");
    assertThat(r.out()).contains(edited + ": content SHA-256");
  }

  @Test
  void aTruncatedArchiveIsDamage() throws IOException {
    try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }
    Cli.Result r = verify();
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.out()).contains("DAMAGED  " + key).contains("truncated");
  }

  @Test
  void aMissingSidecarIsDamage() throws IOException {
    Files.delete(archive.resolveSibling(archive.getFileName() + ".sha256"));
    Cli.Result r = verify();
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.err()).contains(key).contains(".sha256 is missing");
  }

  @Test
  void restoringADamagedArchiveExits4AndLeavesTheTargetUntouched() throws IOException {
    Path into = tmp.resolve("restore");
    Files.createDirectories(into);
    Files.writeString(into.resolve("already-here.txt"), "keep me");
    Map<String, Trees.Node> before = Trees.snapshot(into);
    flipByteAt(Files.size(archive) / 2);

    Cli.Result r = cli.run("restore", "--from", target.toString(), "latest", "--target", into.toString());

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.err()).contains("backup " + key + " is damaged").contains("nothing was restored");
    assertThat(Trees.snapshot(into)).as("target, staging included").isEqualTo(before);
  }

  private Cli.Result verify() {
    return cli.run("verify", "--from", target.toString());
  }

  private void flipByteAt(long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      var b = java.nio.ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 0x55));
      ch.write(b.rewind(), offset);
    }
  }
}
