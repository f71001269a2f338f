package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.HoldfastException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The JSON and binary codecs against the exact bytes restic writes (research notes, sections 3 to 7). */
class RepositoryCodecTest {
  private static final ObjectId A = ObjectId.hash("a".getBytes(StandardCharsets.UTF_8));
  private static final ObjectId B = ObjectId.hash("b".getBytes(StandardCharsets.UTF_8));

  static Stream<Arguments> names() {
    return Stream.of(
        Arguments.of("plain.txt", "plain.txt"),
        Arguments.of("ünïcödé €", "ünïcödé €"),
        Arguments.of("nl\nname", "nl\\nname"),
        Arguments.of("we\"ird", "we\\\"ird"),
        Arguments.of("back\\slash", "back\\\\slash"),
        Arguments.of("tab\tx", "tab\\tx"),
        Arguments.of("bell\u0007", "bell\\a"),
        Arguments.of("ctl\u0001", "ctl\\x01"),
        Arguments.of("del\u007f", "del\\x7f"),
        Arguments.of("nbsp\u00a0", "nbsp\\u00a0"),
        Arguments.of("private\ue000", "private\\ue000"),
        Arguments.of("tag\uDB40\uDC01", "tag\\U000e0001"),
        Arguments.of("emoji\uD83D\uDE00", "emoji\uD83D\uDE00"));
  }

  @ParameterizedTest
  @MethodSource("names")
  void quotesNamesLikeGoStrconv(String name, String quoted) {
    assertThat(GoQuote.quote(name)).isEqualTo(quoted);
    assertThat(GoQuote.unquote(quoted)).isEqualTo(name);
  }

  @Test
  void unquoteRejectsWhatGoRejects() {
    assertThat(GoQuote.unquote("raw\"quote")).isNull();
    assertThat(GoQuote.unquote("bad\\q")).isNull();
    assertThat(GoQuote.unquote("end\\")).isNull();
    assertThat(GoQuote.unquote("short\\x4")).isNull();
    assertThat(GoQuote.unquote("surrogate\\ud800")).isNull();
    assertThat(GoQuote.unquote("byte\\xff")).isEqualTo("byte\ufffd");
    assertThat(GoQuote.unquote("octal\\101")).isEqualTo("octalA");
  }

  @Test
  void treeJsonIsRestics() {
    Instant t = Instant.parse("2020-01-02T03:04:05.123456789Z");
    var file = Node.file("we\"ird", FileMode.toGo(NodeType.FILE, 0644), t, 1000, 100, 5, List.of(A)).withOwner("me", null);
    var empty = Node.file("empty", FileMode.toGo(NodeType.FILE, 0600), t, 0, 0, 0, List.of());
    var dir = Node.dir("d", FileMode.toGo(NodeType.DIR, 0755), Instant.parse("2020-01-02T03:04:05Z"), 0, 0, B);
    var link = Node.symlink("l<ink>", FileMode.toGo(NodeType.SYMLINK, 0777), t, 0, 0, "t&rget");
    Tree tree = Tree.sorted(List.of(file, link, dir, empty));
    String ts = "\"mtime\":\"2020-01-02T03:04:05.123456789Z\",\"atime\":\"2020-01-02T03:04:05.123456789Z\","
        + "\"ctime\":\"2020-01-02T03:04:05.123456789Z\"";
    assertThat(new String(tree.toJson(), StandardCharsets.UTF_8)).isEqualTo("{\"nodes\":["
        + "{\"name\":\"d\",\"type\":\"dir\",\"mode\":2147484141,\"mtime\":\"2020-01-02T03:04:05Z\","
        + "\"atime\":\"2020-01-02T03:04:05Z\",\"ctime\":\"2020-01-02T03:04:05Z\",\"uid\":0,\"gid\":0,"
        + "\"content\":null,\"subtree\":\"" + B.hex() + "\"},"
        + "{\"name\":\"empty\",\"type\":\"file\",\"mode\":384," + ts + ",\"uid\":0,\"gid\":0,\"links\":1,\"content\":[]},"
        + "{\"name\":\"l\\u003cink\\u003e\",\"type\":\"symlink\",\"mode\":134218239," + ts
        + ",\"uid\":0,\"gid\":0,\"links\":1,\"linktarget\":\"t\\u0026rget\",\"content\":null},"
        + "{\"name\":\"we\\\\\\\"ird\",\"type\":\"file\",\"mode\":420," + ts
        + ",\"uid\":1000,\"gid\":100,\"user\":\"me\",\"size\":5,\"links\":1,\"content\":[\"" + A.hex() + "\"]}"
        + "]}\n");
    assertThat(Tree.parse(tree.toJson(), "t")).isEqualTo(tree);
    assertThat(new String(new Tree(List.of()).toJson(), StandardCharsets.UTF_8)).isEqualTo("{\"nodes\":[]}\n");
  }

  @Test
  void nodesAreSortedByUtf8Bytes() {
    // U+FF5E sorts before U+1F600 in Java's UTF-16 order only after it: bytes EF BD 9E < F0 9F 98 80
    Instant t = Instant.EPOCH;
    var high = Node.symlink("\uD83D\uDE00", 0, t, 0, 0, "x");
    var bmp = Node.symlink("\uFF5E", 0, t, 0, 0, "x");
    assertThat(Tree.sorted(List.of(high, bmp)).nodes()).containsExactly(bmp, high);
    assertThat("\uFF5E".compareTo("\uD83D\uDE00")).isPositive(); // why String order would be wrong
  }

  @Test
  void goFileModes() {
    assertThat(FileMode.toGo(NodeType.DIR, 0755)).isEqualTo(2147484141L);
    assertThat(FileMode.toGo(NodeType.SYMLINK, 0777)).isEqualTo(134218239L);
    assertThat(FileMode.toGo(NodeType.FIFO, 0644)).isEqualTo(33554852L);
    assertThat(FileMode.toGo(NodeType.CHARDEV, 0644)).isEqualTo(69206436L);
    assertThat(FileMode.toGo(NodeType.FILE, 04755)).isEqualTo(8389101L);
    assertThat(FileMode.toGo(NodeType.FILE, 02755)).isEqualTo(4194797L);
    assertThat(FileMode.toGo(NodeType.DIR, 01777)).isEqualTo(2148532735L);
    assertThat(FileMode.toPosixPermissions(2148532735L)).isEqualTo(01777);
  }

  @Test
  void snapshotJsonIsRestics() {
    var sn = new Snapshot(OffsetDateTime.of(2026, 11, 25, 4, 4, 9, 819958454, ZoneOffset.UTC), A, B,
        List.of("/srv/data"), "vm", "root", 0, 0, List.of(), List.of("daily"), null, "holdfast 0.1");
    assertThat(new String(sn.toJson(), StandardCharsets.UTF_8)).isEqualTo(
        "{\"time\":\"2026-11-25T04:04:09.819958454Z\",\"parent\":\"" + A.hex() + "\",\"tree\":\"" + B.hex()
            + "\",\"paths\":[\"/srv/data\"],\"hostname\":\"vm\",\"username\":\"root\",\"tags\":[\"daily\"],"
            + "\"program_version\":\"holdfast 0.1\"}");
    assertThat(Snapshot.parse(sn.toJson(), "s")).isEqualTo(sn);
    var withOffset = Snapshot.parse(("{\"time\":\"2024-01-02T01:00:00+03:00\",\"tree\":\"" + B.hex()
        + "\",\"paths\":[\"/x\"],\"summary\":{\"files_new\":1}}").getBytes(StandardCharsets.UTF_8), "s");
    assertThat(withOffset.time().getOffset()).isEqualTo(ZoneOffset.ofHours(3));
  }

  @Test
  void indexJsonIsResticsAndOldFormatIsRead() {
    var idx = new IndexFile(List.of(), List.of(new IndexFile.Pack(A, List.of(
        new PackedBlob(BlobType.DATA, B, 0, 53, 12), new PackedBlob(BlobType.TREE, A, 53, 100, 0)))));
    assertThat(new String(idx.toJson(), StandardCharsets.UTF_8)).isEqualTo(
        "{\"packs\":[{\"id\":\"" + A.hex() + "\",\"blobs\":[{\"id\":\"" + B.hex()
            + "\",\"type\":\"data\",\"offset\":0,\"length\":53,\"uncompressed_length\":12},{\"id\":\"" + A.hex()
            + "\",\"type\":\"tree\",\"offset\":53,\"length\":100}]}]}\n");
    assertThat(IndexFile.parse(idx.toJson(), "i")).isEqualTo(idx);
    var old = IndexFile.parse(("[{\"id\":\"" + A.hex() + "\",\"blobs\":[{\"id\":\"" + B.hex()
        + "\",\"type\":\"data\",\"offset\":0,\"length\":40}]}]").getBytes(StandardCharsets.UTF_8), "i");
    assertThat(old.packs().get(0).blobs().get(0).length()).isEqualTo(40);
    var sup = new IndexFile(List.of(B), idx.packs());
    assertThat(new String(sup.toJson(), StandardCharsets.UTF_8)).startsWith("{\"supersedes\":[\"" + B.hex() + "\"],\"packs\"");
  }

  @Test
  void configJsonIsRestics() {
    var c = new RepositoryConfig(2, A.hex(), 0x3b86eaf5153d8bL);
    assertThat(new String(c.toJson(), StandardCharsets.UTF_8)).isEqualTo(
        "{\"version\":2,\"id\":\"" + A.hex() + "\",\"chunker_polynomial\":\"3b86eaf5153d8b\"}");
    assertThat(RepositoryConfig.parse(c.toJson())).isEqualTo(c);
    assertThatThrownBy(() -> new RepositoryConfig(2, A.hex(), 0x38f1e565e288dfL)) // reducible
        .isInstanceOf(HoldfastException.class).hasMessageContaining("chunker polynomial");
    assertThatThrownBy(() -> new RepositoryConfig(3, A.hex(), 0x3b86eaf5153d8bL))
        .hasMessageContaining("unsupported repository version 3");
  }

  @Test
  void packHeaderRoundTrip() {
    var key = CryptoKey.random();
    var w = new PackFile.Writer(key, true);
    byte[] one = "hello hello hello hello".getBytes(StandardCharsets.UTF_8);
    w.add(BlobType.DATA, ObjectId.hash(one), one);
    var plain = new PackFile.Writer(key, false);
    plain.add(BlobType.TREE, ObjectId.hash(new byte[0]), new byte[0]);
    for (var writer : List.of(w, plain)) {
      List<PackedBlob> expected = writer.blobs();
      byte[] pack = writer.finish();
      var backend = new dev.holdfast.backend.MemoryBackend();
      try {
        backend.put("p", pack);
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      assertThat(PackFile.readHeader(backend, "p", pack.length, key)).isEqualTo(expected);
    }
  }
}
