package dev.holdfast.archive;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/** The compressions an archive may use; each knows its file extension, levels and magic bytes. */
public enum Compression {
  GZIP(".tar.gz", 1, 9, 6),
  ZSTD(".tar.zst", 1, 19, 3),
  NONE(".tar", 0, 0, 0);

  private final String extension;
  private final int minLevel;
  private final int maxLevel;
  private final int defaultLevel;

  Compression(String extension, int minLevel, int maxLevel, int defaultLevel) {
    this.extension = extension;
    this.minLevel = minLevel;
    this.maxLevel = maxLevel;
    this.defaultLevel = defaultLevel;
  }

  public String extension() {
    return extension;
  }

  public int defaultLevel() {
    return defaultLevel;
  }

  public int minLevel() {
    return minLevel;
  }

  public int maxLevel() {
    return maxLevel;
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Compression parse(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "gzip", "gz" -> GZIP;
      case "zstd", "zst" -> ZSTD;
      case "none", "tar" -> NONE;
      default -> throw new IllegalArgumentException("unknown compression '" + s + "' (gzip, zstd or none)");
    };
  }

  /** Wraps {@code out}; closing the result finishes the compressed stream and closes {@code out}. */
  public OutputStream compress(OutputStream out, int level, int threads) throws IOException {
    return switch (this) {
      case GZIP -> new ParallelGzipOutputStream(out, level, threads, ParallelGzipOutputStream.DEFAULT_BLOCK);
      case ZSTD -> new ParallelZstdOutputStream(
          out, level, threads, ParallelZstdOutputStream.blockSize(threads, Runtime.getRuntime().maxMemory()));
      case NONE -> out;
    };
  }

  /** Detects the compression from the first bytes and returns a decompressing stream. */
  public static InputStream decompress(InputStream raw) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return new GZIPInputStream(in, 1 << 16); // reads every member of a multi-member file
    }
    if (magic.length == 4
        && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
      return new BufferedInputStream(new ZstdInputStreamNoFinalizer(in), 1 << 16);
    }
    return in;
  }
}
