package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.backend.LocalBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data packs written to a local target as they are built (a backup's packs there). */
class PackSpoolTest {
  @TempDir
  Path dir;

  @Test
  void aPackWrittenBlobByBlobIsNamedByItsHashAndReadsBack() throws IOException {
    var backend = new LocalBackend(dir);
    CryptoKey key = CryptoKey.random();
    var spool = new PackSpool(backend, key, 16 << 20);
    var random = new Random(3);
    byte[] noise = new byte[(2 << 20) + 17]; // incompressible: sealed in slices, never held whole
    random.nextBytes(noise);
    byte[] text = "log line number something, status ok\n".repeat(100_000).getBytes(StandardCharsets.UTF_8);
    byte[] nibbles = new byte[6 << 20]; // compresses to about half: more than the first scratch holds
    for (int i = 0; i < nibbles.length; i++) {
      nibbles[i] = (byte) random.nextInt(16);
    }
    List<byte[]> contents = List.of(noise, text, nibbles, new byte[0]);
    for (byte[] c : contents) {
      byte[] padded = new byte[c.length + 10]; // at an offset, as chunks lie in the arena
      System.arraycopy(c, 0, padded, 10, c.length);
      spool.add(BlobType.DATA, ObjectId.hash(c), padded, 10, c.length, true);
    }
    assertThat(spool.blobs().get(0).compressed()).isFalse();
    assertThat(spool.blobs().get(1).compressed()).isTrue();
    assertThat(spool.blobs().get(2).compressed()).isTrue();
    assertThat(spool.blobs().get(2).length()).isLessThan(nibbles.length * 3 / 4);

    for (byte[] c : contents) { // read back before the pack is stored (hard links, tests)
      PackFile.Sealed s = spool.find(BlobType.DATA, ObjectId.hash(c)).orElseThrow();
      assertThat(open(key, s.blob(), s.bytes())).isEqualTo(c);
    }

    PackFile.Stored stored = spool.store();
    Path file = dir.resolve(Repository.packKeyOf(stored.id()));
    assertThat(ObjectId.hash(Files.readAllBytes(file))).isEqualTo(stored.id());
    assertThat(Files.size(file)).isEqualTo(stored.length());
    List<PackedBlob> header = PackFile.readHeader(backend, Repository.packKeyOf(stored.id()), stored.length(), key);
    assertThat(header).isEqualTo(stored.blobs());
    for (int i = 0; i < contents.size(); i++) {
      PackedBlob b = header.get(i);
      byte[] sealed = PackFile.read(backend, Repository.packKeyOf(stored.id()), b.offset(), b.length(), "blob");
      assertThat(open(key, b, sealed)).isEqualTo(contents.get(i));
    }
    assertThat(spool.count()).isZero(); // emptied for the next pack
    assertThat(partials()).isEmpty();
  }

  @Test
  void aPackResetBeforeItIsStoredLeavesNothing() throws IOException {
    var spool = new PackSpool(new LocalBackend(dir), CryptoKey.random(), 16 << 20);
    byte[] data = new byte[300_000];
    new Random(4).nextBytes(data);
    spool.add(BlobType.DATA, ObjectId.hash(data), data, 0, data.length, true);
    assertThat(partials()).hasSize(1); // written as it is built
    spool.reset();
    assertThat(partials()).isEmpty();
    try (Stream<Path> all = Files.walk(dir)) {
      assertThat(all.filter(Files::isRegularFile)).isEmpty();
    }
  }

  private List<Path> partials() throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> p.getFileName().toString().endsWith(".partial")).toList();
    }
  }

  private static byte[] open(CryptoKey key, PackedBlob b, byte[] sealed) {
    byte[] plain = key.open(sealed);
    return b.compressed() ? ZstdFrames.decompressExact(plain, 0, plain.length, b.uncompressedLength()) : plain;
  }
}
