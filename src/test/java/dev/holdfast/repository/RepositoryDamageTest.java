package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.backend.MemoryBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Untrusted bytes: random garbage, truncations and bit flips of valid pack, index, tree, snapshot,
 * config and key files are rejected with a {@link HoldfastException} (exit 4 for data, 12 for
 * keys), never another exception or an allocation sized by the damaged file.
 */
class RepositoryDamageTest {
  private static final String PASSWORD = "pw";
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);
  private static final long POL = 0x3DA3358B4DC173L;

  /** Parsing {@code bytes} either succeeds or fails with a HoldfastException of {@code code}. */
  private static void onlyCleanFailures(byte[] bytes, ExitCode code, Consumer<byte[]> parser) {
    Throwable t = catchThrowable(() -> parser.accept(bytes));
    if (t != null) {
      assertThat(t).as("failure for input %s", preview(bytes)).isInstanceOf(HoldfastException.class);
      assertThat(((HoldfastException) t).exitCode()).isEqualTo(code);
      assertThat(t.getMessage()).doesNotContain("\n");
    }
  }

  private static String preview(byte[] b) {
    String s = new String(b, 0, Math.min(b.length, 120), StandardCharsets.ISO_8859_1);
    return b.length + " bytes: " + s;
  }

  /** Every truncation, 300 single-byte mutations and 100 random inputs of similar size. */
  private static List<byte[]> variants(byte[] valid, long seed) {
    var random = new Random(seed);
    var out = new ArrayList<byte[]>();
    int step = Math.max(1, valid.length / 400);
    for (int n = 0; n < valid.length; n += step) {
      out.add(Arrays.copyOf(valid, n));
    }
    for (int i = 0; i < 300; i++) {
      byte[] m = valid.clone();
      m[random.nextInt(m.length)] = (byte) random.nextInt(256);
      out.add(m);
    }
    for (int i = 0; i < 100; i++) {
      byte[] r = new byte[random.nextInt(valid.length * 2 + 1)];
      random.nextBytes(r);
      out.add(r);
    }
    return out;
  }

  @Test
  void jsonParsersRejectDamageCleanly() {
    ObjectId a = ObjectId.hash(new byte[] {1});
    Instant t = Instant.parse("2021-02-03T04:05:06.7Z");
    byte[] tree = Tree.sorted(List.of(
        Node.file("f\"x", 0644, t, 1, 2, 3, List.of(a, a)),
        Node.dir("d", FileMode.toGo(NodeType.DIR, 0755), t, 0, 0, a),
        Node.symlink("s", 0, t, 0, 0, "target"))).toJson();
    byte[] index = new IndexFile(List.of(a), List.of(new IndexFile.Pack(a, List.of(
        new PackedBlob(BlobType.DATA, a, 0, 100, 50), new PackedBlob(BlobType.TREE, a, 100, 40, 0))))).toJson();
    byte[] snapshot = new Snapshot(OffsetDateTime.now(ZoneOffset.UTC), a, a, List.of("/x"), "h", "u", 1, 2,
        List.of("*.tmp"), List.of("t"), null, "v").toJson();
    byte[] config = RepositoryConfig.create(POL).toJson();
    byte[] lock = new LockFile(OffsetDateTime.now(ZoneOffset.UTC), true, "h", "u", 42, 0, 0).toJson();
    byte[] key = KeyFile.create(CryptoKey.random(), PASSWORD, FAST, "u", "h", OffsetDateTime.now(ZoneOffset.UTC)).toJson();

    for (byte[] v : variants(tree, 1)) {
      onlyCleanFailures(v, ExitCode.DAMAGED, b -> Tree.parse(b, "tree"));
    }
    for (byte[] v : variants(index, 2)) {
      onlyCleanFailures(v, ExitCode.DAMAGED, b -> IndexFile.parse(b, "index"));
    }
    for (byte[] v : variants(snapshot, 3)) {
      onlyCleanFailures(v, ExitCode.DAMAGED, b -> Snapshot.parse(b, "snapshot"));
    }
    for (byte[] v : variants(config, 4)) {
      onlyCleanFailures(v, ExitCode.DAMAGED, RepositoryConfig::parse);
    }
    for (byte[] v : variants(lock, 5)) {
      onlyCleanFailures(v, ExitCode.DAMAGED, b -> LockFile.parse(b, "lock"));
    }
    for (byte[] v : variants(key, 6)) {
      onlyCleanFailures(v, ExitCode.WRONG_KEY, b -> KeyFile.parse(b, "key").unlock(PASSWORD, "key"));
    }
  }

  @Test
  void wellFormedJsonWithWrongContentIsDamage() {
    String id = "a".repeat(64);
    for (String tree : List.of(
        "{\"nodes\":[{\"name\":1,\"type\":\"file\",\"content\":[]}]}",
        "{\"nodes\":[{\"name\":\"x\",\"type\":\"file\"}]}",
        "{\"nodes\":[{\"name\":\"x\",\"type\":\"dir\",\"content\":null}]}",
        "{\"nodes\":[{\"name\":\"../etc\",\"type\":\"symlink\"}]}",
        "{\"nodes\":[{\"name\":\"..\",\"type\":\"symlink\"}]}",
        "{\"nodes\":[{\"name\":\"raw\\\"quote\",\"type\":\"symlink\"}]}",
        "{\"nodes\":[{\"name\":\"x\",\"type\":\"whiteout\"}]}",
        "{\"nodes\":[{\"name\":\"x\",\"type\":\"file\",\"content\":[\"abc\"]}]}",
        "{\"nodes\":[{\"name\":\"x\",\"type\":\"symlink\",\"mtime\":\"yesterday\"}]}",
        "{\"nodes\":[{\"name\":\"x\",\"type\":\"file\",\"content\":[],\"size\":-1}]}",
        "{\"nodes\":{}}",
        "[" + "[".repeat(5000) + "]".repeat(5000) + "]")) {
      assertThatThrownBy(() -> Tree.parse(tree.getBytes(StandardCharsets.UTF_8), "tree"))
          .as(tree.length() > 100 ? tree.substring(0, 100) : tree)
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED));
    }
    for (String index : List.of(
        "{\"packs\":[{\"id\":\"zz\",\"blobs\":[]}]}",
        "{\"packs\":[{\"id\":\"" + id + "\",\"blobs\":[{\"id\":\"" + id + "\",\"type\":\"data\",\"offset\":-1,\"length\":40}]}]}",
        "{\"packs\":[{\"id\":\"" + id + "\",\"blobs\":[{\"id\":\"" + id + "\",\"type\":\"data\",\"offset\":0,\"length\":4294967296}]}]}",
        "{\"packs\":[{\"id\":\"" + id + "\",\"blobs\":[{\"id\":\"" + id + "\",\"type\":\"data\",\"offset\":0,\"length\":40,\"uncompressed_length\":999999999999}]}]}",
        "{\"packs\":[{\"id\":\"" + id + "\",\"blobs\":[{\"id\":\"" + id + "\",\"type\":\"dat\",\"offset\":0,\"length\":40}]}]}",
        "{\"packs\":[{\"id\":\"" + id + "\",\"blobs\":[{\"id\":\"" + id + "\",\"type\":\"data\",\"offset\":1.5,\"length\":40}]}]}",
        "{\"supersedes\":[1],\"packs\":[]}",
        "{\"packs\":5}",
        "\"just a string\"")) {
      assertThatThrownBy(() -> IndexFile.parse(index.getBytes(StandardCharsets.UTF_8), "index"))
          .as(index)
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED));
    }
  }

  @Test
  void packHeadersRejectDamageCleanly() throws IOException {
    var key = CryptoKey.random();
    var w = new PackFile.Writer(key, true);
    var random = new Random(7);
    for (int i = 0; i < 5; i++) {
      byte[] b = new byte[random.nextInt(5000) + 1];
      random.nextBytes(b);
      w.add(i % 2 == 0 ? BlobType.DATA : BlobType.TREE, ObjectId.hash(b), b);
    }
    byte[] pack = w.finish();
    var backend = new MemoryBackend();
    int n = 0;
    for (byte[] v : variants(pack, 8)) {
      String name = "p" + n++;
      backend.put(name, v);
      onlyCleanFailures(v, ExitCode.DAMAGED, b -> PackFile.readHeader(backend, name, b.length, key));
    }
    // a header whose plaintext is garbage but correctly sealed, so the parser itself is exercised
    for (int i = 0; i < 300; i++) {
      byte[] header = new byte[random.nextInt(200)];
      random.nextBytes(header);
      if (i % 3 == 0 && header.length > 0) {
        header[0] = (byte) random.nextInt(4);
      }
      onlyCleanFailures(header, ExitCode.DAMAGED, h -> PackFile.parseHeader(h, random.nextInt(1 << 20), "pack"));
    }
    // a header length pointing far beyond the file must not be allocated
    byte[] huge = pack.clone();
    huge[huge.length - 1] = (byte) 0x7f;
    backend.put("huge", huge);
    assertThatThrownBy(() -> PackFile.readHeader(backend, "huge", huge.length, key))
        .isInstanceOf(HoldfastException.class).hasMessageContaining("invalid header length");
  }

  @Test
  void damagedRepositoryFilesAreReportedWithExitCodes() throws IOException {
    var backend = new MemoryBackend();
    ObjectId blob;
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      blob = repo.saveBlob(BlobType.DATA, "some content".getBytes(StandardCharsets.UTF_8));
      repo.flush();
    }
    // a flipped byte inside the stored pack: loadBlob reports damage, naming blob and pack
    String packKey = backend.list("data/").findFirst().orElseThrow().key();
    byte[] pack = backend.readAll(packKey);
    pack[20] ^= 1;
    backend.delete(packKey);
    backend.put(packKey, pack);
    try (var repo = Repository.open(backend, PASSWORD)) {
      assertThatThrownBy(() -> repo.loadBlob(BlobType.DATA, blob))
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED))
          .hasMessageContaining("data blob " + blob.shortHex()).hasMessageContaining("MAC check failed");
    }
    // an index file whose bytes do not match its name
    String indexKey = backend.list("index/").findFirst().orElseThrow().key();
    byte[] idx = backend.readAll(indexKey);
    backend.delete(indexKey);
    backend.put(indexKey, Arrays.copyOf(idx, idx.length - 1));
    assertThatThrownBy(() -> Repository.open(backend, PASSWORD))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED))
        .hasMessageContaining("does not match its name");
    // a garbage key file beside the real one does not stop the password from working
    backend.delete(indexKey);
    backend.put("keys/" + "0".repeat(64), "{\"garbage".getBytes(StandardCharsets.UTF_8));
    try (var repo = Repository.open(backend, PASSWORD)) {
      assertThat(repo.blobCount()).isZero(); // the index is gone
    }
    // no repository at all
    assertThatThrownBy(() -> Repository.open(new MemoryBackend(), PASSWORD))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.TARGET_MISSING));
  }

  @Test
  void onlyGarbageKeysMeansExit12() throws IOException {
    var backend = new MemoryBackend();
    Repository.init(backend, PASSWORD, POL, FAST).close();
    for (var k : backend.list("keys/").toList()) {
      backend.delete(k.key());
    }
    backend.put("keys/" + "1".repeat(64), new byte[] {0, 1, 2});
    assertThatThrownBy(() -> Repository.open(backend, PASSWORD))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).contains("damaged").doesNotContain(PASSWORD + " ");
        });
  }
}
