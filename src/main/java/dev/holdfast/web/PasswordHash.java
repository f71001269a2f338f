package dev.holdfast.web;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A salted PBKDF2-HMAC-SHA256 password hash as written in the config:
 * {@code pbkdf2-sha256:ITERATIONS:SALT:HASH}, salt and hash in base64 (the same derivation as
 * Python's {@code hashlib.pbkdf2_hmac("sha256", ...)}).
 */
public record PasswordHash(int iterations, byte[] salt, byte[] hash) {
  public static final int DEFAULT_ITERATIONS = 600_000;
  private static final String PREFIX = "pbkdf2-sha256:";

  /** The same hash: iterations, salt and derived bytes (a record compares arrays by identity). */
  public boolean sameAs(PasswordHash o) {
    return o != null && iterations == o.iterations && java.util.Arrays.equals(salt, o.salt)
        && java.util.Arrays.equals(hash, o.hash);
  }

  public static PasswordHash parse(String s) {
    String[] p = s.split(":");
    if (p.length != 4 || !s.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a " + PREFIX + "ITERATIONS:SALT:HASH value");
    }
    return new PasswordHash(Integer.parseInt(p[1]), Base64.getDecoder().decode(p[2]), Base64.getDecoder().decode(p[3]));
  }

  /** A new hash of {@code password} with a random 16-byte salt. */
  public static PasswordHash create(char[] password) {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    return new PasswordHash(DEFAULT_ITERATIONS, salt, derive(password, salt, DEFAULT_ITERATIONS, 32));
  }

  /** Compares in constant time. */
  public boolean matches(char[] password) {
    return MessageDigest.isEqual(hash, derive(password, salt, iterations, hash.length));
  }

  @Override
  public String toString() {
    Base64.Encoder b = Base64.getEncoder();
    return PREFIX + iterations + ":" + b.encodeToString(salt) + ":" + b.encodeToString(hash);
  }

  private static byte[] derive(char[] password, byte[] salt, int iterations, int length) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, length * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }
}
