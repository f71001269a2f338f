package dev.holdfast.repository;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 that names every object in a repository: blobs (of their plaintext), packs, index,
 * snapshot, lock and key files (of the bytes stored), as in design.rst "Repository Format".
 */
public final class ObjectId implements Comparable<ObjectId> {
  public static final int LENGTH = 32;
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] bytes;

  private ObjectId(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies 32 bytes starting at {@code off}. */
  public static ObjectId of(byte[] src, int off) {
    return new ObjectId(Arrays.copyOfRange(src, off, off + LENGTH));
  }

  public static ObjectId of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("an object id has 32 bytes, not " + bytes.length);
    }
    return new ObjectId(bytes.clone());
  }

  /** Parses 64 hex digits; anything else is damage in whatever file held the text. */
  public static ObjectId parse(String hex) {
    if (hex == null || hex.length() != 2 * LENGTH) {
      throw new HoldfastException(ExitCode.DAMAGED, "invalid object id: " + shorten(hex));
    }
    try {
      return new ObjectId(HEX.parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new HoldfastException(ExitCode.DAMAGED, "invalid object id: " + shorten(hex));
    }
  }

  /** Whether {@code s} is 64 lower- or upper-case hex digits. */
  public static boolean isHex(String s) {
    if (s.length() != 2 * LENGTH) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  public static ObjectId hash(byte[] data) {
    return hash(data, 0, data.length);
  }

  public static ObjectId hash(byte[] data, int off, int len) {
    MessageDigest md = sha256();
    md.update(data, off, len);
    return new ObjectId(md.digest());
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  void copyTo(byte[] dst, int off) {
    System.arraycopy(bytes, 0, dst, off, LENGTH);
  }

  /** The first 8 bytes, a well-distributed hash for tables. */
  long prefix() {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (bytes[i] & 0xff);
    }
    return v;
  }

  public String hex() {
    return HEX.formatHex(bytes);
  }

  /** The first 8 hex digits, as restic's short ids. */
  public String shortHex() {
    return hex().substring(0, 8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ObjectId other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public int compareTo(ObjectId o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return hex();
  }

  private static String shorten(String s) {
    return GoJson.printable(s);
  }
}
