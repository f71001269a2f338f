package dev.holdfast.repository;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * zstd as repository format v2 uses it (design.rst "Compression"): one frame per blob or unpacked
 * file; frames restic writes may carry no content size, so decompression is always bounded by a
 * size we know or allow.
 */
final class ZstdFrames {
  /** restic's "auto" mode is klauspost's default speed, roughly zstd level 3. */
  private static final int LEVEL = 3;
  // Level 3 with a quarter of its match-finder tables (2^15 hash, 2^14 chain entries: they stay in
  // the CPU's L2 cache): about a fifth less CPU for about 1% more output on log text, which keeps
  // repositories no larger than restic's (klauspost's encoder compresses a little less than level 3).
  private static final int HASH_LOG = 15;
  private static final int CHAIN_LOG = 14;

  // Contexts are reused: making one per blob costs the allocation and clearing of its tables. They
  // hold native memory that nothing frees implicitly, so they are pooled (as many as were ever in
  // use at once) rather than kept per thread.
  private static final Queue<ZstdCompressCtx> COMPRESSORS = new ConcurrentLinkedQueue<>();
  private static final Queue<ZstdDecompressCtx> DECOMPRESSORS = new ConcurrentLinkedQueue<>();

  private ZstdFrames() {}

  static byte[] compress(byte[] data, int off, int len) {
    byte[] dst = new byte[(int) Zstd.compressBound(len)];
    return Arrays.copyOf(dst, compress(data, off, len, dst));
  }

  /** Compresses into {@code dst} (at least {@link Zstd#compressBound} bytes); returns the frame's length. */
  static int compress(byte[] data, int off, int len, byte[] dst) {
    return compress(data, off, len, dst, 0, dst.length);
  }

  /** Compresses into {@code dst[dstOff, dstOff + dstCap)}, which must hold {@link Zstd#compressBound} bytes. */
  static int compress(byte[] data, int off, int len, byte[] dst, int dstOff, int dstCap) {
    ZstdCompressCtx ctx = COMPRESSORS.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx().setLevel(LEVEL).setHashLog(HASH_LOG).setChainLog(CHAIN_LOG);
    }
    try {
      return ctx.compressByteArray(dst, dstOff, dstCap, data, off, len);
    } finally {
      COMPRESSORS.offer(ctx);
    }
  }

  // Incompressible chunks (media, archives, encrypted files: half of a typical dataset) are stored
  // uncompressed, as the format allows: zstd would spend about a CPU-second per 500 MB on them to
  // emit raw blocks a few bytes larger than the input. Four samples spread over the chunk decide.
  private static final int SAMPLE = 16 << 10;
  private static final int SAMPLES = 4;
  private static final ThreadLocal<byte[]> SAMPLE_OUT = ThreadLocal.withInitial(() -> new byte[(int) Zstd.compressBound(SAMPLE)]);

  /**
   * Whether {@code data[off, off + len)} looks incompressible: every sample loses less than half a
   * percent to zstd. Short inputs are never judged so (compressing them costs little).
   */
  static boolean looksIncompressible(byte[] data, int off, int len) {
    if (len < SAMPLES * SAMPLE * 2) {
      return false;
    }
    byte[] out = SAMPLE_OUT.get();
    long step = (len - SAMPLE) / (SAMPLES - 1);
    for (int i = 0; i < SAMPLES; i++) {
      int n = compress(data, off + (int) (step * i), SAMPLE, out, 0, out.length);
      if (n < SAMPLE - SAMPLE / 200) {
        return false;
      }
    }
    return true;
  }

  /** Decompresses a blob whose plaintext length the index states; returns null if the frame does not yield exactly that. */
  static byte[] decompressExact(byte[] src, int off, int len, int expected) {
    byte[] dst = new byte[expected];
    return decompressInto(src, off, len, dst, expected) ? dst : null;
  }

  /**
   * Decompresses a blob whose plaintext length the index states into {@code dst} (at least that
   * long, reused by the caller across blobs); returns false if the frame does not yield exactly
   * {@code expected} bytes.
   */
  static boolean decompressInto(byte[] src, int off, int len, byte[] dst, int expected) {
    long n;
    ZstdDecompressCtx ctx = DECOMPRESSORS.poll();
    try {
      if (ctx == null) {
        ctx = new ZstdDecompressCtx();
      }
      n = ctx.decompressByteArray(dst, 0, expected, src, off, len);
    } catch (RuntimeException e) {
      return false;
    } finally {
      if (ctx != null) {
        DECOMPRESSORS.offer(ctx);
      }
    }
    return !Zstd.isError(n) && n == expected;
  }

  /** Decompresses at most {@code limit} bytes; returns null for a broken frame or a larger result. */
  static byte[] decompressBounded(byte[] src, int off, int len, int limit) {
    try (var in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(src, off, len))) {
      byte[] out = in.readNBytes(limit + 1);
      return out.length > limit ? null : out;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
