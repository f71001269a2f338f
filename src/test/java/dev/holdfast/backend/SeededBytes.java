package dev.holdfast.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic pseudo-random test data, generated in chunks so no test holds it whole. */
final class SeededBytes {
  private static final int CHUNK = 64 * 1024;

  private SeededBytes() {}

  static byte[] of(long seed, int size) {
    byte[] bytes = new byte[size];
    new SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }

  /** Writes {@code size} bytes from {@code seed} (without closing) and returns their SHA-256. */
  static String write(long seed, long size, OutputStream out) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    MessageDigest sha = sha256();
    byte[] chunk = new byte[CHUNK];
    for (long left = size; left > 0; ) {
      random.nextBytes(chunk);
      int n = (int) Math.min(left, CHUNK);
      sha.update(chunk, 0, n);
      out.write(chunk, 0, n);
      left -= n;
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** The SHA-256 that {@link #write} returns, without writing anywhere. */
  static String sha256(long seed, long size) throws IOException {
    return write(seed, size, OutputStream.nullOutputStream());
  }

  static String sha256(InputStream in) throws IOException {
    MessageDigest sha = sha256();
    byte[] buffer = new byte[CHUNK];
    for (int n; (n = in.read(buffer)) > 0; ) {
      sha.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
