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
  private static final int CTR_SLICE = 8 << 10;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] encrypt;
  private final byte[] macK;
  private final byte[] macR;
  private final SecretKeySpec encryptSpec;
  // Ciphers are not thread-safe, and looking one up per blob costs more than the blob's AES.
  private final ThreadLocal<Cipher> ctr = ThreadLocal.withInitial(() -> cipher("AES/CTR/NoPadding", null));
  private final ThreadLocal<Cipher> nonceCipher;
  private final ThreadLocal<byte[]> ivScratch = ThreadLocal.withInitial(() -> new byte[IV]);
  private final ThreadLocal<byte[]> sliceScratch = ThreadLocal.withInitial(() -> new byte[CTR_SLICE]);

  /** {@code encrypt}: 32 bytes; {@code macK}: the 16-byte AES key of Poly1305-AES; {@code macR}: its 16-byte r. */
  public CryptoKey(byte[] encrypt, byte[] macK, byte[] macR) {
    if (encrypt.length != 32 || macK.length != 16 || macR.length != 16) {
      throw new HoldfastException(ExitCode.WRONG_KEY, "invalid key: wrong key lengths");
    }
    this.encrypt = encrypt.clone();
    this.macK = macK.clone();
    this.macR = clamp(macR.clone());
    this.encryptSpec = new SecretKeySpec(this.encrypt, "AES");
    var macKey = new SecretKeySpec(this.macK, "AES");
    this.nonceCipher = ThreadLocal.withInitial(() -> cipher("AES/ECB/NoPadding", macKey));
  }

  private static Cipher cipher(String transformation, SecretKeySpec key) {
    try {
      Cipher c = Cipher.getInstance(transformation);
      if (key != null) {
        c.init(Cipher.ENCRYPT_MODE, key);
      }
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(transformation + " unavailable", e);
    }
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
    byte[] out = new byte[len + OVERHEAD];
    sealInto(plaintext, off, len, out, 0);
    return out;
  }

  /**
   * Seals {@code src[srcOff, srcOff + len)} into {@code dst} at {@code dstOff} as IV, ciphertext and
   * MAC ({@code len + OVERHEAD} bytes), without allocating; returns the sealed length. The plaintext
   * may already lie where the ciphertext goes ({@code src == dst}, {@code srcOff == dstOff + IV}):
   * a pack buffer is compressed into and then encrypted in place.
   */
  int sealInto(byte[] src, int srcOff, int len, byte[] dst, int dstOff) {
    byte[] iv = ivScratch.get();
    newIv(iv);
    boolean inPlace = src == dst && srcOff == dstOff + IV;
    if (!inPlace && src == dst && srcOff < dstOff + IV + len && dstOff < srcOff + len) {
      throw new IllegalArgumentException("overlapping ranges");
    }
    crypt(iv, src, srcOff, len, dst, dstOff + IV);
    System.arraycopy(iv, 0, dst, dstOff, IV);
    mac(iv, dst, dstOff + IV, len, dst, dstOff + IV + len);
    return len + OVERHEAD;
  }

  /**
   * AES-256-CTR from counter {@code iv}; in and out may be the same range. Fed in slices: the JIT
   * switches to the JDK's AES-NI routine for CTR only once the calling method has run some
   * thousand times, which one call per blob would take gigabytes to reach.
   */
  private void crypt(byte[] iv, byte[] in, int off, int len, byte[] out, int outOff) {
    // The JCE copies an input that overlaps its output, even the very same range; in place, each
    // slice goes through a slice-sized scratch instead, so a blob or index sealed or opened in
    // place allocates nothing.
    boolean inPlace = in == out && off == outOff;
    byte[] slice = inPlace ? sliceScratch.get() : null;
    try {
      Cipher c = ctr.get();
      c.init(Cipher.ENCRYPT_MODE, encryptSpec, new IvParameterSpec(iv));
      int written = 0;
      for (int done = 0; done < len; done += CTR_SLICE) {
        int n = Math.min(CTR_SLICE, len - done);
        if (inPlace) {
          int w = c.update(in, off + done, n, slice, 0);
          System.arraycopy(slice, 0, out, outOff + written, w);
          written += w;
        } else {
          written += c.update(in, off + done, n, out, outOff + written);
        }
      }
      written += c.doFinal(in, off + len, 0, out, outOff + written);
      if (written != len) {
        throw new IllegalStateException("AES-CTR held back " + (len - written) + " bytes");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR unavailable", e);
    }
  }

  public byte[] open(byte[] sealed) {
    return open(sealed, 0, sealed.length);
  }

  /** Checks length, IV and MAC of a sealed message; returns its IV. */
  private byte[] checkMac(byte[] sealed, int off, int len) {
    if (len < OVERHEAD) {
      throw new CiphertextException("ciphertext too short (" + len + " bytes)");
    }
    byte[] iv = Arrays.copyOfRange(sealed, off, off + IV);
    if (isZero(iv)) {
      throw new CiphertextException("all-zero IV");
    }
    byte[] expected = new byte[MAC];
    mac(iv, sealed, off + IV, len - OVERHEAD, expected, 0);
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(sealed, off + len - MAC, off + len))) {
      throw new CiphertextException("MAC check failed");
    }
    return iv;
  }

  /**
   * Checks the MAC, then decrypts. A failure says only "MAC check failed": the caller knows whether
   * that means a wrong password or damaged data.
   */
  public byte[] open(byte[] sealed, int off, int len) {
    byte[] iv = checkMac(sealed, off, len);
    int ctLen = len - OVERHEAD;
    byte[] plain = new byte[ctLen];
    crypt(iv, sealed, off + IV, ctLen, plain, 0);
    return plain;
  }

  /**
   * Like {@link #open(byte[], int, int)}, but decrypts in place: the plaintext replaces the
   * ciphertext at {@code off + IV}; returns its length. Lets a large index file be read without a
   * second copy of it.
   */
  public int openInPlace(byte[] sealed, int off, int len) {
    byte[] iv = checkMac(sealed, off, len);
    int ctLen = len - OVERHEAD;
    crypt(iv, sealed, off + IV, ctLen, sealed, off + IV);
    return ctLen;
  }

  /**
   * Opens or seals a message in pieces (a blob streamed from or into a pack file): {@link
   * Streaming#begin} with its IV, then {@link Streaming#open} or {@link Streaming#seal} the
   * ciphertext in pieces of any length, then {@link Streaming#macMatches} (opening) or {@link
   * Streaming#tag} (sealing) for the MAC after it. Opened plaintext is handed out before the MAC is
   * known, so a caller may write it only where a failed check takes it back (a restore's staging
   * directory). One per thread; reusable for message after message.
   */
  public Streaming streaming() {
    return new Streaming();
  }

  /** Fills {@code iv} (16 bytes) with a fresh random IV, for sealing. */
  static void newIv(byte[] iv) {
    do {
      RANDOM.nextBytes(iv);
    } while (isZero(iv)); // restic refuses an all-zero IV
  }

  public final class Streaming {
    private final Cipher cipher = cipher("AES/CTR/NoPadding", null);
    private final Poly1305.State mac = new Poly1305.State();
    private final byte[] tag = new byte[MAC];

    private Streaming() {}

    /** Starts a message: {@code iv} is its first 16 bytes. */
    public void begin(byte[] iv) {
      if (isZero(iv)) {
        throw new CiphertextException("all-zero IV");
      }
      try {
        cipher.init(Cipher.ENCRYPT_MODE, encryptSpec, new IvParameterSpec(iv));
        mac.init(macR, nonceCipher.get().doFinal(iv, 0, IV));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES unavailable", e);
      }
    }

    /** Adds ciphertext {@code in[off, off + len)} to the MAC and writes its plaintext to {@code out[outOff, outOff + len)} (not the same array). */
    public void open(byte[] in, int off, int len, byte[] out, int outOff) {
      mac.update(in, off, len);
      ctr(in, off, len, out, outOff);
    }

    /** Encrypts plaintext {@code in[off, off + len)} into {@code out[outOff, outOff + len)} (not the same array) and adds that to the MAC. */
    public void seal(byte[] in, int off, int len, byte[] out, int outOff) {
      ctr(in, off, len, out, outOff);
      mac.update(out, outOff, len);
    }

    private void ctr(byte[] in, int off, int len, byte[] out, int outOff) {
      try {
        int written = 0;
        for (int done = 0; done < len; done += CTR_SLICE) { // in slices, for the JIT (see crypt)
          written += cipher.update(in, off + done, Math.min(CTR_SLICE, len - done), out, outOff + written);
        }
        if (written != len) {
          throw new IllegalStateException("AES-CTR held back " + (len - written) + " bytes");
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-CTR unavailable", e);
      }
    }

    /** Whether {@code sealed[off, off + 16)}, the tag that follows the ciphertext, is the message's MAC. */
    public boolean macMatches(byte[] sealed, int off) {
      mac.finish(tag, 0);
      return MessageDigest.isEqual(tag, Arrays.copyOfRange(sealed, off, off + MAC));
    }

    /** Writes the MAC of the ciphertext sealed since {@link #begin} to {@code out[off, off + 16)}. */
    public void tag(byte[] out, int off) {
      mac.finish(out, off);
    }
  }

  /** The Poly1305-AES tag of {@code data} under nonce {@code iv}. */
  byte[] tag(byte[] iv, byte[] data) {
    byte[] out = new byte[MAC];
    mac(iv, data, 0, data.length, out, 0);
    return out;
  }

  /** Poly1305-AES: Poly1305 with r, and s = AES_k(nonce). */
  private void mac(byte[] iv, byte[] data, int off, int len, byte[] out, int outOff) {
    byte[] s;
    try {
      s = nonceCipher.get().doFinal(iv, 0, IV);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES unavailable", e);
    }
    Poly1305.mac(macR, s, data, off, len, out, outOff);
  }

  /**
   * Runs the JDK's AES-CTR, SHA-256 and our Poly1305 a few thousand times on a few bytes. The JIT uses their
   * AES-NI and SHA-NI routines only for callers it compiled fully, which it does after thousands of
   * calls; a backup makes one call per megabyte blob, so without this it runs the slow Java
   * fallback (about 100 MB/s) for the first gigabytes.
   */
  static void warmUp() {
    CryptoKey k = new CryptoKey(new byte[32], new byte[16], new byte[16]);
    byte[] buf = new byte[256];
    byte[] iv = new byte[IV];
    byte[] tag = new byte[MAC];
    iv[15] = 1;
    var md = ObjectId.sha256();
    for (int i = 0; i < 12_000; i++) {
      k.crypt(iv, buf, 0, 64 + (i & 127), buf, 0);
      k.mac(iv, buf, 0, 64 + (i & 127), tag, 0); // Poly1305 too: interpreted, it runs at a tenth of its speed
      md.update(buf, 0, 128 + (i & 127));
      if ((i & 15) == 0) {
        md.digest();
      }
    }
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
