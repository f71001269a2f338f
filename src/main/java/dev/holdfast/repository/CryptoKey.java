package dev.holdfast.repository;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * An AES-256-CTR key with its Poly1305-AES MAC key, sealing objects as {@code IV || ciphertext ||
 * MAC} (design.rst "Keys, Encryption and MAC"); used both for the master key and for the key that
 * a password derives to unwrap it.
 */
public final class CryptoKey {
  /** IV and MAC: what sealing adds to every plaintext. */
  public static final int OVERHEAD = 32;

  static final int IV = 16;
  private static final int MAC = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] encrypt;
  private final byte[] macK;
  private final byte[] macR;

  /** {@code encrypt}: 32 bytes; {@code macK}: the 16-byte AES key of Poly1305-AES; {@code macR}: its 16-byte r. */
  public CryptoKey(byte[] encrypt, byte[] macK, byte[] macR) {
    if (encrypt.length != 32 || macK.length != 16 || macR.length != 16) {
      throw new HoldfastException(ExitCode.WRONG_KEY, "invalid key: wrong key lengths");
    }
    this.encrypt = encrypt.clone();
    this.macK = macK.clone();
    this.macR = clamp(macR.clone());
  }

  /** A fresh random key, as {@code restic init} makes a master key. */
  public static CryptoKey random() {
    byte[] b = new byte[64];
    RANDOM.nextBytes(b);
    return fromDerived(b);
  }

  /** Splits 64 bytes of KDF output the way restic does: AES key, then MAC k, then MAC r. */
  static CryptoKey fromDerived(byte[] b) {
    return new CryptoKey(
        Arrays.copyOfRange(b, 0, 32), Arrays.copyOfRange(b, 32, 48), Arrays.copyOfRange(b, 48, 64));
  }

  byte[] encryptKey() {
    return encrypt.clone();
  }

  byte[] macK() {
    return macK.clone();
  }

  byte[] macR() {
    return macR.clone();
  }

  public byte[] seal(byte[] plaintext) {
    return seal(plaintext, 0, plaintext.length);
  }

  /** Encrypts with a fresh random IV and appends the MAC over the ciphertext. */
  public byte[] seal(byte[] plaintext, int off, int len) {
    byte[] out = new byte[IV + len + MAC];
    byte[] iv = new byte[IV];
    do {
      RANDOM.nextBytes(iv);
    } while (isZero(iv)); // restic refuses an all-zero IV
    System.arraycopy(iv, 0, out, 0, IV);
    try {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encrypt, "AES"), new IvParameterSpec(iv));
      c.doFinal(plaintext, off, len, out, IV);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR unavailable", e);
    }
    mac(iv, out, IV, len, out, IV + len);
    return out;
  }

  public byte[] open(byte[] sealed) {
    return open(sealed, 0, sealed.length);
  }

  /**
   * Checks the MAC, then decrypts. A failure says only "MAC check failed": the caller knows whether
   * that means a wrong password or damaged data.
   */
  public byte[] open(byte[] sealed, int off, int len) {
    if (len < OVERHEAD) {
      throw new CiphertextException("ciphertext too short (" + len + " bytes)");
    }
    byte[] iv = Arrays.copyOfRange(sealed, off, off + IV);
    if (isZero(iv)) {
      throw new CiphertextException("all-zero IV");
    }
    int ctLen = len - OVERHEAD;
    byte[] expected = new byte[MAC];
    mac(iv, sealed, off + IV, ctLen, expected, 0);
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(sealed, off + IV + ctLen, off + len))) {
      throw new CiphertextException("MAC check failed");
    }
    try {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encrypt, "AES"), new IvParameterSpec(iv));
      return c.doFinal(sealed, off + IV, ctLen);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR unavailable", e);
    }
  }

  /**
   * Like {@link #open(byte[], int, int)}, but decrypts in place: the plaintext replaces the
   * ciphertext at {@code off + IV}; returns its length. Lets a large index file be read without a
   * second copy of it.
   */
  public int openInPlace(byte[] sealed, int off, int len) {
    if (len < OVERHEAD) {
      throw new CiphertextException("ciphertext too short (" + len + " bytes)");
    }
    byte[] iv = Arrays.copyOfRange(sealed, off, off + IV);
    if (isZero(iv)) {
      throw new CiphertextException("all-zero IV");
    }
    int ctLen = len - OVERHEAD;
    byte[] expected = new byte[MAC];
    mac(iv, sealed, off + IV, ctLen, expected, 0);
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(sealed, off + IV + ctLen, off + len))) {
      throw new CiphertextException("MAC check failed");
    }
    try {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encrypt, "AES"), new IvParameterSpec(iv));
      return c.doFinal(sealed, off + IV, ctLen, sealed, off + IV); // copy-safe in the JCE
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR unavailable", e);
    }
  }

  /** The Poly1305-AES tag of {@code data} under nonce {@code iv}. */
  byte[] tag(byte[] iv, byte[] data) {
    byte[] out = new byte[MAC];
    mac(iv, data, 0, data.length, out, 0);
    return out;
  }

  private void mac(byte[] iv, byte[] data, int off, int len, byte[] out, int outOff) {
    // BouncyCastle's Poly1305-with-cipher takes r || k; restic stores k || r.
    byte[] bcKey = new byte[32];
    System.arraycopy(macR, 0, bcKey, 0, 16);
    System.arraycopy(macK, 0, bcKey, 16, 16);
    Poly1305 p = new Poly1305(AESEngine.newInstance());
    p.init(new ParametersWithIV(new KeyParameter(bcKey), iv));
    p.update(data, off, len);
    p.doFinal(out, outOff);
  }

  /** The Poly1305 r mask (design.rst: "r is clamped"). */
  static byte[] clamp(byte[] r) {
    r[3] &= 0x0f;
    r[7] &= 0x0f;
    r[11] &= 0x0f;
    r[15] &= 0x0f;
    r[4] &= (byte) 0xfc;
    r[8] &= (byte) 0xfc;
    r[12] &= (byte) 0xfc;
    return r;
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "CryptoKey[hidden]";
  }

  /** Authentication of a sealed object failed: damage (exit 4) unless the caller knows it means a wrong key. */
  public static final class CiphertextException extends HoldfastException {
    CiphertextException(String message) {
      super(ExitCode.DAMAGED, message);
    }
  }
}
