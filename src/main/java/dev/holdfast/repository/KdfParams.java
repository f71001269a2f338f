package dev.holdfast.repository;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;

/**
 * scrypt cost parameters of one key file. restic calibrates them per key; {@link #DEFAULT} is a
 * value restic 0.14 chose on a small machine (research notes, section 2) with p = 1, so opening
 * stays well under a second in Java.
 */
public record KdfParams(int n, int r, int p) {
  public static final KdfParams DEFAULT = new KdfParams(32768, 8, 1);

  /** Bounds a key file's parameters so that a hostile file cannot make us allocate gigabytes. */
  static final long MAX_MEMORY = 256L << 20;

  public KdfParams {
    if (n < 2 || Integer.bitCount(n) != 1 || r < 1 || p < 1 || (long) r * p >= 1L << 30) {
      throw new HoldfastException(
          ExitCode.WRONG_KEY, "invalid scrypt parameters N=" + n + " r=" + r + " p=" + p);
    }
    if (128L * r * n > MAX_MEMORY || p > 256) {
      throw new HoldfastException(
          ExitCode.WRONG_KEY,
          "scrypt parameters N=" + n + " r=" + r + " p=" + p + " need more memory or time than allowed");
    }
  }
}
