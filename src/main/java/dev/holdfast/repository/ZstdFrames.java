package dev.holdfast.repository;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * zstd as repository format v2 uses it (design.rst "Compression"): one frame per blob or unpacked
 * file; frames restic writes may carry no content size, so decompression is always bounded by a
 * size we know or allow.
 */
final class ZstdFrames {
  /** restic's "auto" mode is klauspost's default speed, roughly zstd level 3. */
  private static final int LEVEL = 3;

  private ZstdFrames() {}

  static byte[] compress(byte[] data, int off, int len) {
    byte[] dst = new byte[(int) Zstd.compressBound(len)];
    long n = Zstd.compressByteArray(dst, 0, dst.length, data, off, len, LEVEL);
    if (Zstd.isError(n)) {
      throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
    }
    return Arrays.copyOf(dst, (int) n);
  }

  /** Decompresses a blob whose plaintext length the index states; returns null if the frame does not yield exactly that. */
  static byte[] decompressExact(byte[] src, int off, int len, int expected) {
    byte[] dst = new byte[expected];
    long n;
    try {
      n = Zstd.decompressByteArray(dst, 0, expected, src, off, len);
    } catch (RuntimeException e) {
      return null;
    }
    if (Zstd.isError(n) || n != expected) {
      return null;
    }
    return dst;
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
