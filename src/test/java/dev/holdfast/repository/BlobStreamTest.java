package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.MemoryBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Blobs read from a pack stream in pieces (restore and full verify): content, piece sizes, damage. */
class BlobStreamTest {
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);

  @Test
  void handsOutEveryBlobInPiecesOfAtMostASlice() throws IOException {
    byte[] random = new byte[3 * BlobStream.SLICE + 123]; // incompressible: stored uncompressed
    new Random(5).nextBytes(random);
    byte[] text = "a line of log text, again and again\n".repeat(60_000).getBytes(StandardCharsets.UTF_8);
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, "pw", 0x3DA3358B4DC173L, FAST);
        var stream = repo.blobStream(0)) { // too small a buffer for the compressed blob: it grows
      ObjectId r = repo.saveBlob(BlobType.DATA, random);
      ObjectId t = repo.saveBlob(BlobType.DATA, text);
      repo.flush();
      BlobLocation rl = repo.locate(BlobType.DATA, r).orElseThrow();
      BlobLocation tl = repo.locate(BlobType.DATA, t).orElseThrow();
      assertThat(rl.blob().compressed()).isFalse();
      assertThat(tl.blob().compressed()).isTrue();
      assertThat(text.length).isGreaterThan(2 * BlobStream.SLICE); // decompressed in several pieces

      for (BlobLocation loc : List.of(rl, tl, rl)) { // reused blob after blob
        var out = new ByteArrayOutputStream();
        List<Integer> pieces = new ArrayList<>();
        InputStream in = new ByteArrayInputStream(sealed(backend, loc));
        stream.read(loc.pack(), loc.blob(), in, (buf, off, len) -> {
          pieces.add(len);
          out.write(buf, off, len);
        });
        assertThat(out.toByteArray()).isEqualTo(loc == tl ? text : random);
        assertThat(pieces).allSatisfy(n -> assertThat(n).isBetween(1, BlobStream.SLICE)).hasSizeGreaterThan(2);
        assertThat(in.read()).isEqualTo(-1); // read to the blob's end, not beyond
      }
    }
  }

  @Test
  void damageIsNamedAndTheStreamIsLeftAtTheBlobsEnd() throws IOException {
    byte[] random = new byte[700 << 10];
    new Random(6).nextBytes(random);
    byte[] text = "another line of text for the log\n".repeat(30_000).getBytes(StandardCharsets.UTF_8);
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, "pw", 0x3DA3358B4DC173L, FAST);
        var stream = repo.blobStream(1 << 20)) {
      ObjectId r = repo.saveBlob(BlobType.DATA, random);
      ObjectId t = repo.saveBlob(BlobType.DATA, text);
      repo.flush();
      for (ObjectId id : List.of(r, t)) {
        BlobLocation loc = repo.locate(BlobType.DATA, id).orElseThrow();
        byte[] damaged = sealed(backend, loc);
        damaged[damaged.length / 2] ^= 1;
        byte[] next = {1, 2, 3};
        InputStream in = new ByteArrayInputStream(concat(damaged, next));
        assertThatThrownBy(() -> stream.read(loc.pack(), loc.blob(), in, (buf, off, len) -> { }))
            .isInstanceOf(HoldfastException.class)
            .hasMessageContaining("data blob " + id.shortHex() + " in pack " + loc.pack().shortHex())
            .hasMessageContaining("MAC check failed")
            .satisfies(e -> assertThat(((HoldfastException) e).exitCode()).isEqualTo(ExitCode.DAMAGED));
        assertThat(in.readAllBytes()).isEqualTo(next); // the caller goes on with the next blob

        // the index states another plaintext length than the frame holds: refused, never more
        // than the stated length handed out
        if (loc.blob().compressed()) {
          for (int stated : new int[] {text.length - 1, text.length + 1}) {
            var lying = new PackedBlob(BlobType.DATA, id, loc.blob().offset(), loc.blob().length(), stated);
            long[] handed = {0};
            assertThatThrownBy(() -> stream.read(loc.pack(), lying, new ByteArrayInputStream(sealed(backend, loc)),
                (buf, off, len) -> handed[0] += len))
                .isInstanceOf(HoldfastException.class)
                .hasMessageContaining("invalid zstd data");
            assertThat(handed[0]).isLessThanOrEqualTo(stated);
          }
        }

        // a pack that ends inside the blob
        byte[] cut = Arrays.copyOf(sealed(backend, loc), loc.blob().length() - 10);
        assertThatThrownBy(() -> stream.read(loc.pack(), loc.blob(), new ByteArrayInputStream(cut), (buf, off, len) -> { }))
            .isInstanceOf(EOFException.class);
      }
    }
  }

  private static byte[] sealed(MemoryBackend backend, BlobLocation loc) throws IOException {
    try (InputStream in = backend.open(Repository.packKeyOf(loc.pack()), loc.blob().offset(), loc.blob().length())) {
      return in.readAllBytes();
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
