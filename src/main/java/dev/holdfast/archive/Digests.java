package dev.holdfast.archive;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The SHA-256 digests that checksums, manifests and verification share. */
public final class Digests {
  private Digests() {}

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }
}
