package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.Processes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks the chunker against the real restic (Debian's 0.14): restic backs up seeded files
 * into a new repository with a polynomial of its own choosing, and our chunks of each file, named
 * by SHA-256, must be exactly the data blobs listed in that file's node.
 *
 * <p>Files: 32 MiB of random bytes; 29 MiB alternating random stretches, zeros (cut at every
 * MIN_SIZE), two runs of one byte value (cut at MAX_SIZE unless their constant fingerprint
 * happens to end in 20 zero bits) and repeated text; 100 000 random bytes; MIN_SIZE + 1 random
 * bytes; an empty file. Each repetition is a new repository, so a new random polynomial.
 */
class ChunkerResticIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1024 * 1024;

  @TempDir static Path tmp;
  private static Path data;

  @BeforeAll
  static void writeFiles() throws IOException {
    data = Files.createDirectories(tmp.resolve("data"));
    var rnd = new SplittableRandom(20261130);
    Files.write(data.resolve("random.bin"), random(rnd, 32 * MIB));
    Files.write(data.resolve("small.bin"), random(rnd, 100_000));
    Files.write(data.resolve("min-plus-one.bin"), random(rnd, Chunker.MIN_SIZE + 1));
    Files.write(data.resolve("empty.bin"), new byte[0]);

    byte[] text = "Holdfast keeps what it is given; restic cuts it where the content says.\n"
        .getBytes(StandardCharsets.US_ASCII);
    var low = new ByteArrayOutputStream();
    low.writeBytes(new byte[3 * MIB]);
    low.writeBytes(random(rnd, 1536 * 1024));
    low.writeBytes(filled(10 * MIB, 0x5a));
    low.writeBytes(random(rnd, 333_333));
    low.writeBytes(filled(9 * MIB, 0xa5));
    for (int i = 0; i < 2 * MIB / text.length; i++) {
      low.writeBytes(text);
    }
    low.writeBytes(random(rnd, 700 * 1024));
    low.writeBytes(new byte[600 * 1024]);
    low.writeBytes(random(rnd, 12_345));
    Files.write(data.resolve("low-entropy.bin"), low.toByteArray());
  }

  @RepeatedTest(value = 2, name = "restic repository {currentRepetition}")
  void ourChunksAreTheDataBlobsResticStored(RepetitionInfo repetition) throws IOException {
    Path repo = tmp.resolve("repo-" + repetition.getCurrentRepetition());
    var env = Map.of("RESTIC_REPOSITORY", repo.toString(), "RESTIC_PASSWORD", "chunker-it");
    restic(env, "init");
    String polHex = JSON.readTree(restic(env, "cat", "config")).get("chunker_polynomial").asText();
    restic(env, "backup", ".");
    JsonNode snapshots = JSON.readTree(restic(env, "snapshots", "--json"));
    assertThat(snapshots).hasSize(1);
    String tree = JSON.readTree(restic(env, "cat", "snapshot", snapshots.get(0).get("id").asText()))
        .get("tree").asText();
    Map<String, List<String>> resticContent = new HashMap<>();
    collectFileContents(env, tree, resticContent);

    Polynomial pol = Polynomial.parseHex(polHex);
    assertThat(pol.toHex()).isEqualTo(polHex);
    assertThat(pol.degree()).isEqualTo(Polynomial.CHUNKER_DEGREE);
    assertThat(pol.isIrreducible()).as("restic's polynomial %s is irreducible", pol).isTrue();
    var chunker = new Chunker(pol.value());
    Map<String, List<Integer>> ourLengths = new LinkedHashMap<>();
    try (var files = Files.list(data)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        var ids = new ArrayList<String>();
        var lengths = new ArrayList<Integer>();
        try (InputStream in = Files.newInputStream(file)) {
          chunker.split(in, (buf, off, len) -> {
            ids.add(sha256(buf, off, len));
            lengths.add(len);
          });
        }
        ourLengths.put(name, lengths);
        assertThat(ids).as("%s chunked with %s (our lengths %s)", name, pol, lengths)
            .isEqualTo(resticContent.get(name));
      }
    }
    assertThat(resticContent).containsOnlyKeys(ourLengths.keySet());
    // The comparison above is only as good as the cases it saw: make sure it saw both bounds.
    assertThat(ourLengths.get("low-entropy.bin"))
        .contains(Chunker.MIN_SIZE, Chunker.MAX_SIZE);
    assertThat(ourLengths.get("random.bin")).hasSizeGreaterThan(10);
  }

  /** Walks the tree blobs from {@code treeId}, recording each file node's content blob IDs by name. */
  private static void collectFileContents(Map<String, String> env, String treeId,
      Map<String, List<String>> contents) throws IOException {
    for (JsonNode node : JSON.readTree(restic(env, "cat", "blob", treeId)).get("nodes")) {
      switch (node.get("type").asText()) {
        case "dir" -> collectFileContents(env, node.get("subtree").asText(), contents);
        case "file" -> {
          var ids = new ArrayList<String>();
          node.get("content").forEach(id -> ids.add(id.asText()));
          assertThat(contents.put(node.get("name").asText(), ids)).isNull();
        }
        default -> { }
      }
    }
  }

  private static String restic(Map<String, String> env, String... args) {
    var command = new ArrayList<String>(List.of("restic", "--no-cache", "--quiet"));
    command.addAll(Arrays.asList(args));
    Processes.Result r = Processes.run(data, command, env);
    if (r.exitCode() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed (apt-get install restic"
          + " if it is missing): " + r);
    }
    return r.out();
  }

  private static String sha256(byte[] buf, int off, int len) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(buf, off, len);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] random(SplittableRandom rnd, int size) {
    byte[] bytes = new byte[size];
    rnd.nextBytes(bytes);
    return bytes;
  }

  private static byte[] filled(int size, int value) {
    byte[] bytes = new byte[size];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }
}
