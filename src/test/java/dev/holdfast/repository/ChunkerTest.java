package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the chunker against boundaries restic itself produced (restic/chunker's own tests and the
 * vectors in shared/research/restic-format.md section 10, confirmed by restic 0.14 deduplication)
 * and against the definition of the cut, for sizes, streams read in odd pieces and reuse.
 */
class ChunkerTest {

  /** restic/chunker's {@code testPol} (chunker_test.go). */
  private static final long TEST_POL = 0x3DA3358B4DC173L;
  /** A polynomial chosen by {@code restic init} (research notes, section 10). */
  private static final long INIT_POL = 0x3b86eaf5153d8bL;
  private static final int MIB = 1024 * 1024;

  /** A chunk as restic names it: its length and the SHA-256 of its bytes (the blob ID). */
  record Chunk(int length, String sha256) {
    @Override
    public String toString() {
      return length + " " + sha256.substring(0, 12);
    }
  }

  @Test
  void shaStreamWithTestPolynomialGivesTheBoundariesResticMade() throws IOException {
    byte[] data = shaStream(32 * MIB);
    assertThat(sha256(data, 0, data.length))
        .isEqualTo("e8b10ee1485f66037afca792113ce0e75116962aeda104b71a9fdaf0a8ec896b");

    List<Chunk> chunks = split(new Chunker(TEST_POL), new ByteArrayInputStream(data));

    assertThat(chunks).extracting(Chunk::length).containsExactly(
        1015968, 1087132, 693439, 2344058, 903280, 1709091, 1791277, 1802453, 1190352, 528291,
        868679, 1105126, 1847403, 1069115, 789535, 691238, 1662910, 569729, 3507138, 2066827,
        599745, 617098, 2039634, 658998, 1328800, 1067116);
    assertThat(chunks.get(0).sha256())
        .isEqualTo("f3d509f80ced030c820556a720ed8a395ba468bf124218fde1df63139d2df0ae");
    assertThat(chunks.get(1).sha256())
        .isEqualTo("a5e07d7324e2fdcc706d70f39cf41e7045abddb793548406951eae3fbb7260f4");
    assertThat(chunks.getLast().sha256())
        .isEqualTo("c36d77cdd5ad7c13e5d6e089a703e9f782fa5751ef110d18334e3096df737530");
  }

  @Test
  void shaStreamWithPolynomialOfResticInitGivesTheChunksResticMade() throws IOException {
    byte[] data = shaStream(5 * MIB);
    assertThat(sha256(data, 0, data.length))
        .isEqualTo("7baeb18927b6832040570dbd18148951f463c01ade2764518ba79a9c72518bca");

    assertThat(split(new Chunker(INIT_POL), new ByteArrayInputStream(data))).containsExactly(
        new Chunk(1725901, "47c2601473c3d19918eaa3050412eed9b915daf0805118a94c7755d6f8a31687"),
        new Chunk(682183, "2cef11ec26ad952f015360de75389ae3f21e8dc077b1c82a25694527f01d3a9d"),
        new Chunk(2834796, "769237343d3ecf4860cf5a84cb1a38571841b27a142189824f0cb0749d3e79b5"));
  }

  @Test
  void endOfStreamEndsTheLastChunkWhereResticEndsIt() throws IOException {
    byte[] data = shaStream(5 * MIB);

    assertThat(split(new Chunker(TEST_POL), new ByteArrayInputStream(data)))
        .extracting(Chunk::length).containsExactly(1015968, 1087132, 693439, 2344058, 102283);
  }

  /** restic/chunker's {@code chunks2}: zeros are cut at every MinSize, even at the very end. */
  @Test
  void zerosAreCutEveryMinSizeAsInResticsChunks2() throws IOException {
    List<Chunk> chunks =
        split(new Chunker(TEST_POL), new ByteArrayInputStream(new byte[4 * Chunker.MIN_SIZE]));

    assertThat(chunks).hasSize(4).allSatisfy(c -> assertThat(c).isEqualTo(new Chunk(
        Chunker.MIN_SIZE, "07854d2fef297a06ba81685e660c332de36d5d18d546927d30daad6d7fda1541")));
  }

  @Test
  void emptyStreamHasNoChunk() throws IOException {
    assertThat(split(new Chunker(TEST_POL), InputStream.nullInputStream())).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 63, 64, 65, 100_000, Chunker.MIN_SIZE - 64, Chunker.MIN_SIZE - 63,
      Chunker.MIN_SIZE - 1, Chunker.MIN_SIZE})
  void streamUpToMinSizeIsOneChunk(int size) throws IOException {
    byte[] data = random(size, size);

    assertThat(split(new Chunker(TEST_POL), new ByteArrayInputStream(data)))
        .containsExactly(new Chunk(size, sha256(data, 0, size)));
  }

  @Test
  void chunksOfRandomDataStayWithinBoundsAndCoverTheStream() throws IOException {
    byte[] data = random(40 * MIB, 7);

    List<Chunk> chunks = split(new Chunker(INIT_POL), new ByteArrayInputStream(data));

    assertThat(chunks.subList(0, chunks.size() - 1)).extracting(Chunk::length)
        .allSatisfy(len -> assertThat(len).isBetween(Chunker.MIN_SIZE, Chunker.MAX_SIZE));
    assertThat(chunks.getLast().length()).isBetween(1, Chunker.MAX_SIZE);
    assertThat(chunks.stream().mapToLong(Chunk::length).sum()).isEqualTo(data.length);
    assertThat(chunks).hasSizeBetween(20, 80); // 1 MiB on average
  }

  /**
   * The definition of a cut below MAX_SIZE, computed from scratch: the last 64 bytes of the
   * chunk, read as one polynomial of degree < 512, leave a remainder modulo the chunker
   * polynomial whose low 20 bits are zero.
   */
  @Test
  void everyCutBelowMaxSizeHasAWindowFingerprintEndingIn20ZeroBits() throws IOException {
    byte[] data = random(24 * MIB, 11);
    var ends = new ArrayList<Integer>();
    int[] pos = {0};
    new Chunker(INIT_POL).split(new ByteArrayInputStream(data), (buf, off, len) -> {
      pos[0] += len;
      ends.add(pos[0]);
    });

    assertThat(ends).hasSizeGreaterThan(10);
    for (int end : ends.subList(0, ends.size() - 1)) {
      assertThat(windowFingerprint(data, end, INIT_POL) & 0xFFFFF)
          .as("fingerprint of the window ending at %d", end).isZero();
    }
  }

  /**
   * A constant fill keeps the window's fingerprint constant; when its low 20 bits are not zero
   * (checked from scratch) no cut comes before MAX_SIZE.
   */
  @Test
  void constantDataWithoutCutFingerprintIsCutAtMaxSize() throws IOException {
    int fill = IntStream.range(1, 256)
        .filter(b -> (windowFingerprint(filled(64, b), 64, TEST_POL) & 0xFFFFF) != 0)
        .findFirst().orElseThrow();
    byte[] data = filled(3 * Chunker.MAX_SIZE + 12345, fill);

    assertThat(split(new Chunker(TEST_POL), new ByteArrayInputStream(data)))
        .extracting(Chunk::length)
        .containsExactly(Chunker.MAX_SIZE, Chunker.MAX_SIZE, Chunker.MAX_SIZE, 12345);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void readingInOddPiecesGivesTheSameChunks(long seed) throws IOException {
    var rnd = new SplittableRandom(seed);
    byte[] data = mixed(rnd, 6 * MIB + rnd.nextInt(6 * MIB));
    var chunker = new Chunker(Polynomial.random(rnd).value());
    List<Chunk> whole = split(chunker, new ByteArrayInputStream(data));

    List<Chunk> pieces = split(chunker, new OddPieces(data, rnd.split()));

    assertThat(whole.size()).isGreaterThan(1);
    assertThat(pieces).isEqualTo(whole);
  }

  @Test
  void anotherPolynomialCutsElsewhere() throws IOException {
    byte[] data = random(8 * MIB, 3);

    assertThat(split(new Chunker(TEST_POL), new ByteArrayInputStream(data)))
        .isNotEqualTo(split(new Chunker(INIT_POL), new ByteArrayInputStream(data)));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 0xff, 0x3DA3358B4DC173L << 1, -1})
  void polynomialOfUnusableDegreeIsRejected(long polynomial) {
    assertThatThrownBy(() -> new Chunker(polynomial))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("degree");
  }

  /** restic's test input that needs no Go: SHA-256(0) || SHA-256(1) || ... with uint64 LE counters. */
  static byte[] shaStream(int size) {
    var out = ByteBuffer.allocate(size);
    var counter = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    MessageDigest sha = sha256();
    for (long i = 0; out.hasRemaining(); i++) {
      byte[] h = sha.digest(counter.putLong(0, i).array());
      out.put(h, 0, Math.min(h.length, out.remaining()));
    }
    return out.array();
  }

  static List<Chunk> split(Chunker chunker, InputStream in) throws IOException {
    var chunks = new ArrayList<Chunk>();
    chunker.split(in, (buf, off, len) -> chunks.add(new Chunk(len, sha256(buf, off, len))));
    return chunks;
  }

  static String sha256(byte[] buf, int off, int len) {
    MessageDigest sha = sha256();
    sha.update(buf, off, len);
    return HexFormat.of().formatHex(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The 64 bytes before {@code end} as a polynomial (first byte highest), mod {@code pol}, bit by bit. */
  private static long windowFingerprint(byte[] data, int end, long pol) {
    int deg = 63 - Long.numberOfLeadingZeros(pol);
    long rem = 0;
    for (int i = end - 64; i < end; i++) {
      for (int bit = 7; bit >= 0; bit--) {
        rem = (rem << 1) | ((data[i] >> bit) & 1);
        if (((rem >>> deg) & 1) != 0) {
          rem ^= pol;
        }
      }
    }
    return rem;
  }

  private static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new SplittableRandom(seed).nextBytes(data);
    return data;
  }

  private static byte[] filled(int size, int value) {
    byte[] data = new byte[size];
    Arrays.fill(data, (byte) value);
    return data;
  }

  /** Random stretches, runs of one byte value and repeated short phrases, taking turns. */
  private static byte[] mixed(SplittableRandom rnd, int size) {
    byte[] data = new byte[size];
    int kind = rnd.nextInt(3);
    for (int pos = 0; pos < size; kind++) {
      int len = Math.min(size - pos, 1 + rnd.nextInt(3 * MIB));
      switch (kind % 3) {
        case 0 -> {
          byte[] part = new byte[len];
          rnd.nextBytes(part);
          System.arraycopy(part, 0, data, pos, len);
        }
        case 1 -> Arrays.fill(data, pos, pos + len, (byte) rnd.nextInt(256));
        default -> {
          byte[] phrase = new byte[1 + rnd.nextInt(200)];
          rnd.nextBytes(phrase);
          for (int i = 0; i < len; i++) {
            data[pos + i] = phrase[i % phrase.length];
          }
        }
      }
      pos += len;
    }
    return data;
  }

  /** Hands out the bytes in pieces of 1 byte to 1 MiB, short reads as pipes and sockets give. */
  private static final class OddPieces extends InputStream {
    private static final int[] SIZES = {1, 2, 7, 63, 64, 65, 4095, 65536, 262145, 1 << 20};
    private final byte[] data;
    private final SplittableRandom rnd;
    private int pos;

    OddPieces(byte[] data, SplittableRandom rnd) {
      this.data = data;
      this.rnd = rnd;
    }

    @Override
    public int read() {
      return pos < data.length ? data[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos == data.length) {
        return -1;
      }
      int piece = rnd.nextInt(4) == 0 ? SIZES[rnd.nextInt(SIZES.length)] : 1 + rnd.nextInt(300_000);
      int n = Math.min(Math.min(len, piece), data.length - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
