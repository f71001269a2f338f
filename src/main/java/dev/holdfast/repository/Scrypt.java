package dev.holdfast.repository;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The scrypt key derivation function (RFC 7914) that unlocks key files, written for a cold JVM:
 * the Salsa20/8 core works on local ints and every buffer is allocated once per derivation.
 */
final class Scrypt {
  private Scrypt() {}

  /**
   * Derives {@code dkLen} bytes from {@code password} and {@code salt}; {@code n} must be a power of
   * two (callers check the parameters first, see {@link KdfParams}).
   */
  static byte[] derive(byte[] password, byte[] salt, int n, int r, int p, int dkLen) {
    int blockBytes = 128 * r;
    byte[] b = pbkdf2(password, salt, p * blockBytes);
    int words = 32 * r;
    // One V and one X/Y pair, reused for each of the p lanes. V (32 MiB with restic's parameters)
    // lives outside the Java heap: there, once garbage, its pages stayed resident for the whole
    // run (the serial collector does not give them back), on top of what a restore or verify
    // holds later; a direct buffer's memory is freed once it is collected (see
    // Repository.dropKeyDerivationGarbage).
    IntBuffer v = ByteBuffer.allocateDirect(Math.multiplyExact(n, words) * Integer.BYTES)
        .order(ByteOrder.nativeOrder()).asIntBuffer();
    int[] xy = new int[2 * words];
    int[] vj = new int[words];
    int[] tmp = new int[16];
    for (int i = 0; i < p; i++) {
      smix(b, i * blockBytes, r, n, v, xy, vj, tmp);
    }
    return pbkdf2(password, b, dkLen);
  }

  /** RFC 7914 section 5 (scryptROMix), with the two BlockMix outputs alternating between x and y. */
  private static void smix(byte[] b, int off, int r, int n, IntBuffer v, int[] xy, int[] vj, int[] tmp) {
    int words = 32 * r;
    int y = words;
    for (int i = 0; i < words; i++) {
      xy[i] = leInt(b, off + 4 * i);
    }
    for (int i = 0; i < n; i += 2) {
      v.put(i * words, xy, 0, words);
      blockMix(tmp, xy, 0, xy, y, r);
      v.put((i + 1) * words, xy, y, words);
      blockMix(tmp, xy, y, xy, 0, r);
    }
    int mask = n - 1;
    int last = (2 * r - 1) * 16;
    for (int i = 0; i < n; i += 2) {
      // Integerify: the first word of the last 64-byte block, modulo n (a power of two below 2^31).
      v.get((xy[last] & mask) * words, vj, 0, words);
      for (int k = 0; k < words; k++) {
        xy[k] ^= vj[k];
      }
      blockMix(tmp, xy, 0, xy, y, r);
      v.get((xy[y + last] & mask) * words, vj, 0, words);
      for (int k = 0; k < words; k++) {
        xy[y + k] ^= vj[k];
      }
      blockMix(tmp, xy, y, xy, 0, r);
    }
    for (int i = 0; i < words; i++) {
      int w = xy[i];
      int o = off + 4 * i;
      b[o] = (byte) w;
      b[o + 1] = (byte) (w >>> 8);
      b[o + 2] = (byte) (w >>> 16);
      b[o + 3] = (byte) (w >>> 24);
    }
  }

  /** RFC 7914 section 4 (scryptBlockMix): even output blocks go to the first half, odd ones to the second. */
  private static void blockMix(int[] tmp, int[] in, int inOff, int[] out, int outOff, int r) {
    System.arraycopy(in, inOff + (2 * r - 1) * 16, tmp, 0, 16);
    for (int i = 0; i < 2 * r; i += 2) {
      salsaXor(tmp, in, inOff + i * 16, out, outOff + i * 8);
      salsaXor(tmp, in, inOff + i * 16 + 16, out, outOff + i * 8 + r * 16);
    }
  }

  /** {@code tmp ^= in}, then {@code tmp = out = Salsa20/8(tmp)} (RFC 7914 section 3). */
  private static void salsaXor(int[] tmp, int[] in, int inOff, int[] out, int outOff) {
    int w0 = tmp[0] ^ in[inOff];
    int w1 = tmp[1] ^ in[inOff + 1];
    int w2 = tmp[2] ^ in[inOff + 2];
    int w3 = tmp[3] ^ in[inOff + 3];
    int w4 = tmp[4] ^ in[inOff + 4];
    int w5 = tmp[5] ^ in[inOff + 5];
    int w6 = tmp[6] ^ in[inOff + 6];
    int w7 = tmp[7] ^ in[inOff + 7];
    int w8 = tmp[8] ^ in[inOff + 8];
    int w9 = tmp[9] ^ in[inOff + 9];
    int w10 = tmp[10] ^ in[inOff + 10];
    int w11 = tmp[11] ^ in[inOff + 11];
    int w12 = tmp[12] ^ in[inOff + 12];
    int w13 = tmp[13] ^ in[inOff + 13];
    int w14 = tmp[14] ^ in[inOff + 14];
    int w15 = tmp[15] ^ in[inOff + 15];
    int x0 = w0, x1 = w1, x2 = w2, x3 = w3, x4 = w4, x5 = w5, x6 = w6, x7 = w7;
    int x8 = w8, x9 = w9, x10 = w10, x11 = w11, x12 = w12, x13 = w13, x14 = w14, x15 = w15;
    for (int i = 0; i < 8; i += 2) {
      // column round
      x4 ^= Integer.rotateLeft(x0 + x12, 7);
      x8 ^= Integer.rotateLeft(x4 + x0, 9);
      x12 ^= Integer.rotateLeft(x8 + x4, 13);
      x0 ^= Integer.rotateLeft(x12 + x8, 18);
      x9 ^= Integer.rotateLeft(x5 + x1, 7);
      x13 ^= Integer.rotateLeft(x9 + x5, 9);
      x1 ^= Integer.rotateLeft(x13 + x9, 13);
      x5 ^= Integer.rotateLeft(x1 + x13, 18);
      x14 ^= Integer.rotateLeft(x10 + x6, 7);
      x2 ^= Integer.rotateLeft(x14 + x10, 9);
      x6 ^= Integer.rotateLeft(x2 + x14, 13);
      x10 ^= Integer.rotateLeft(x6 + x2, 18);
      x3 ^= Integer.rotateLeft(x15 + x11, 7);
      x7 ^= Integer.rotateLeft(x3 + x15, 9);
      x11 ^= Integer.rotateLeft(x7 + x3, 13);
      x15 ^= Integer.rotateLeft(x11 + x7, 18);
      // row round
      x1 ^= Integer.rotateLeft(x0 + x3, 7);
      x2 ^= Integer.rotateLeft(x1 + x0, 9);
      x3 ^= Integer.rotateLeft(x2 + x1, 13);
      x0 ^= Integer.rotateLeft(x3 + x2, 18);
      x6 ^= Integer.rotateLeft(x5 + x4, 7);
      x7 ^= Integer.rotateLeft(x6 + x5, 9);
      x4 ^= Integer.rotateLeft(x7 + x6, 13);
      x5 ^= Integer.rotateLeft(x4 + x7, 18);
      x11 ^= Integer.rotateLeft(x10 + x9, 7);
      x8 ^= Integer.rotateLeft(x11 + x10, 9);
      x9 ^= Integer.rotateLeft(x8 + x11, 13);
      x10 ^= Integer.rotateLeft(x9 + x8, 18);
      x12 ^= Integer.rotateLeft(x15 + x14, 7);
      x13 ^= Integer.rotateLeft(x12 + x15, 9);
      x14 ^= Integer.rotateLeft(x13 + x12, 13);
      x15 ^= Integer.rotateLeft(x14 + x13, 18);
    }
    x0 += w0; x1 += w1; x2 += w2; x3 += w3; x4 += w4; x5 += w5; x6 += w6; x7 += w7;
    x8 += w8; x9 += w9; x10 += w10; x11 += w11; x12 += w12; x13 += w13; x14 += w14; x15 += w15;
    out[outOff] = tmp[0] = x0;
    out[outOff + 1] = tmp[1] = x1;
    out[outOff + 2] = tmp[2] = x2;
    out[outOff + 3] = tmp[3] = x3;
    out[outOff + 4] = tmp[4] = x4;
    out[outOff + 5] = tmp[5] = x5;
    out[outOff + 6] = tmp[6] = x6;
    out[outOff + 7] = tmp[7] = x7;
    out[outOff + 8] = tmp[8] = x8;
    out[outOff + 9] = tmp[9] = x9;
    out[outOff + 10] = tmp[10] = x10;
    out[outOff + 11] = tmp[11] = x11;
    out[outOff + 12] = tmp[12] = x12;
    out[outOff + 13] = tmp[13] = x13;
    out[outOff + 14] = tmp[14] = x14;
    out[outOff + 15] = tmp[15] = x15;
  }

  private static int leInt(byte[] b, int o) {
    return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
  }

  /** PBKDF2-HMAC-SHA256 with one iteration (RFC 8018 section 5.2), as scrypt uses it. */
  private static byte[] pbkdf2(byte[] password, byte[] salt, int len) {
    var hmac = new HmacSha256(password);
    byte[] out = new byte[len];
    byte[] counter = new byte[4];
    for (int block = 1, off = 0; off < len; block++, off += 32) {
      counter[0] = (byte) (block >>> 24);
      counter[1] = (byte) (block >>> 16);
      counter[2] = (byte) (block >>> 8);
      counter[3] = (byte) block;
      byte[] t = hmac.mac(salt, counter);
      System.arraycopy(t, 0, out, off, Math.min(32, len - off));
    }
    return out;
  }

  /**
   * HMAC-SHA256 (RFC 2104) over MessageDigest: unlike javax.crypto.Mac it takes an empty key (an
   * empty password), and its inner and outer states are hashed once for all blocks.
   */
  private static final class HmacSha256 {
    private final MessageDigest inner;
    private final MessageDigest outer;

    HmacSha256(byte[] key) {
      try {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] k = key.length > 64 ? sha.digest(key) : key;
        byte[] ipad = new byte[64];
        byte[] opad = new byte[64];
        for (int i = 0; i < 64; i++) {
          byte b = i < k.length ? k[i] : 0;
          ipad[i] = (byte) (b ^ 0x36);
          opad[i] = (byte) (b ^ 0x5c);
        }
        inner = MessageDigest.getInstance("SHA-256");
        inner.update(ipad);
        outer = MessageDigest.getInstance("SHA-256");
        outer.update(opad);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 unavailable", e);
      }
    }

    byte[] mac(byte[] salt, byte[] counter) {
      try {
        MessageDigest in = (MessageDigest) inner.clone();
        in.update(salt);
        in.update(counter);
        MessageDigest out = (MessageDigest) outer.clone();
        return out.digest(in.digest());
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("SHA-256 cannot be cloned", e);
      }
    }
  }
}
