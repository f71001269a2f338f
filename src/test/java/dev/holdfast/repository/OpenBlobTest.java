package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.MemoryBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The allocation-free blob reads of restore and verify: where the plaintext ends up, and damage. */
class OpenBlobTest {
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);

  @Test
  void anUncompressedBlobStaysInPlaceAndACompressedOneGoesToThePlainBuffer() throws IOException {
    byte[] random = new byte[600 << 10]; // incompressible: stored uncompressed
    new Random(5).nextBytes(random);
    byte[] text = "a line of log text, again and again\n".repeat(20_000).getBytes(StandardCharsets.UTF_8);
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, "pw", 0x3DA3358B4DC173L, FAST)) {
      ObjectId r = repo.saveBlob(BlobType.DATA, random);
      ObjectId t = repo.saveBlob(BlobType.DATA, text);
      repo.flush();

      BlobLocation rl = repo.locate(BlobType.DATA, r).orElseThrow();
      assertThat(rl.blob().compressed()).isFalse();
      byte[] sealed = read(backend, rl);
      int n = repo.openBlobInPlace(rl.pack(), rl.blob(), sealed, 0, null); // no plain buffer needed
      assertThat(n).isEqualTo(random.length);
      assertThat(Arrays.copyOfRange(sealed, Repository.PLAINTEXT_OFFSET, Repository.PLAINTEXT_OFFSET + n)).isEqualTo(random);

      BlobLocation tl = repo.locate(BlobType.DATA, t).orElseThrow();
      assertThat(tl.blob().compressed()).isTrue();
      byte[] plain = new byte[tl.blob().plaintextLength()];
      n = repo.openBlobInPlace(tl.pack(), tl.blob(), read(backend, tl), 0, plain);
      assertThat(Arrays.copyOf(plain, n)).isEqualTo(text);

      byte[] damaged = read(backend, rl);
      damaged[damaged.length / 2] ^= 1;
      assertThatThrownBy(() -> repo.openBlobInPlace(rl.pack(), rl.blob(), damaged, 0, null))
          .isInstanceOf(HoldfastException.class)
          .hasMessageContaining("data blob " + r.shortHex() + " in pack " + rl.pack().shortHex())
          .satisfies(e -> assertThat(((HoldfastException) e).exitCode()).isEqualTo(ExitCode.DAMAGED));
    }
  }

  @Test
  void blobBuffersGrowAtLeastTwofoldUpToAChunkAndExactlyBeyond() {
    byte[] b = new byte[1 << 20];
    assertThat(Repository.blobBuffer(b, 1000)).isSameAs(b);
    assertThat(Repository.blobBuffer(b, (1 << 20) + 1)).hasSize(2 << 20);
    assertThat(Repository.blobBuffer(new byte[6 << 20], (6 << 20) + 1)).hasSize(Chunker.MAX_SIZE + 64);
    assertThat(Repository.blobBuffer(new byte[8 << 20], 20 << 20)).hasSize(20 << 20); // a large tree
    assertThat(Repository.blobBuffer(null, 5)).hasSize(5);
  }

  private static byte[] read(MemoryBackend backend, BlobLocation loc) throws IOException {
    try (InputStream in = backend.open(Repository.packKeyOf(loc.pack()), loc.blob().offset(), loc.blob().length())) {
      return in.readAllBytes();
    }
  }
}
