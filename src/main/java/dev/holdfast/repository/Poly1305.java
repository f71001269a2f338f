package dev.holdfast.repository;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Poly1305 one-time authenticator (Bernstein, "The Poly1305-AES message-authentication code";
 * RFC 8439 section 2.5) over a 32-byte key {@code r || s}: the MAC of every sealed repository
 * object, in 26-bit limbs with 64-bit products as poly1305-donna-32 computes it.
 *
 * <p>Written here because BouncyCastle's (which copies each block and reads it byte by byte) took
 * about an eighth of a backup's CPU time, and the JDK's accelerated one is not public API.
 * Stateless; thread-safe.
 */
final class Poly1305 {
  static final int TAG = 16;

  private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long M26 = 0x3ffffff;

  private Poly1305() {}

  /**
   * Writes the tag of {@code data[off, off + len)} under the clamped {@code r} and {@code s} (16
   * bytes each, little-endian as in the RFC) to {@code out[outOff, outOff + 16)}.
   */
  static void mac(byte[] r, byte[] s, byte[] data, int off, int len, byte[] out, int outOff) {
    long t0 = (long) LE64.get(r, 0);
    long t1 = (long) LE64.get(r, 8);
    final long r0 = t0 & M26;
    final long r1 = (t0 >>> 26) & M26;
    final long r2 = ((t0 >>> 52) | (t1 << 12)) & M26;
    final long r3 = (t1 >>> 14) & M26;
    final long r4 = (t1 >>> 40) & M26;
    final long s1 = r1 * 5;
    final long s2 = r2 * 5;
    final long s3 = r3 * 5;
    final long s4 = r4 * 5;
    long h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0;

    int end = off + len;
    int full = off + (len & ~15);
    byte[] last = null;
    for (int p = off; ; p += 16) {
      long m0;
      long m1;
      long hibit;
      if (p < full) {
        m0 = (long) LE64.get(data, p);
        m1 = (long) LE64.get(data, p + 8);
        hibit = 1L << 24; // 2^128: every full block has a 1 appended
      } else if (p < end) {
        last = new byte[16]; // the final partial block: its bytes, a 1, then zeros
        System.arraycopy(data, p, last, 0, end - p);
        last[end - p] = 1;
        m0 = (long) LE64.get(last, 0);
        m1 = (long) LE64.get(last, 8);
        hibit = 0;
      } else {
        break;
      }
      h0 += m0 & M26;
      h1 += (m0 >>> 26) & M26;
      h2 += ((m0 >>> 52) | (m1 << 12)) & M26;
      h3 += (m1 >>> 14) & M26;
      h4 += (m1 >>> 40) | hibit;

      // h *= r (mod 2^130 - 5): limbs above the fifth wrap around times 5
      long d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
      long d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
      long d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
      long d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
      long d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
      long c = d0 >>> 26;
      h0 = d0 & M26;
      d1 += c;
      c = d1 >>> 26;
      h1 = d1 & M26;
      d2 += c;
      c = d2 >>> 26;
      h2 = d2 & M26;
      d3 += c;
      c = d3 >>> 26;
      h3 = d3 & M26;
      d4 += c;
      c = d4 >>> 26;
      h4 = d4 & M26;
      h0 += c * 5;
      c = h0 >>> 26;
      h0 &= M26;
      h1 += c;
      if (last != null) {
        break;
      }
    }

    // fully carry h
    long c = h1 >>> 26;
    h1 &= M26;
    h2 += c;
    c = h2 >>> 26;
    h2 &= M26;
    h3 += c;
    c = h3 >>> 26;
    h3 &= M26;
    h4 += c;
    c = h4 >>> 26;
    h4 &= M26;
    h0 += c * 5;
    c = h0 >>> 26;
    h0 &= M26;
    h1 += c;

    // g = h + 5 - 2^130; if it is not negative, h was >= p and g is h mod p
    long g0 = h0 + 5;
    c = g0 >>> 26;
    g0 &= M26;
    long g1 = h1 + c;
    c = g1 >>> 26;
    g1 &= M26;
    long g2 = h2 + c;
    c = g2 >>> 26;
    g2 &= M26;
    long g3 = h3 + c;
    c = g3 >>> 26;
    g3 &= M26;
    long g4 = h4 + c - (1L << 26);
    long useG = ~(g4 >> 63); // all ones when g4 >= 0
    h0 = (h0 & ~useG) | (g0 & useG);
    h1 = (h1 & ~useG) | (g1 & useG);
    h2 = (h2 & ~useG) | (g2 & useG);
    h3 = (h3 & ~useG) | (g3 & useG);
    h4 = (h4 & ~useG) | (g4 & useG & M26);

    // tag = (h + s) mod 2^128
    long lo = h0 | (h1 << 26) | (h2 << 52);
    long hi = (h2 >>> 12) | (h3 << 14) | (h4 << 40);
    long sLo = (long) LE64.get(s, 0);
    long sHi = (long) LE64.get(s, 8);
    long outLo = lo + sLo;
    long outHi = hi + sHi + (Long.compareUnsigned(outLo, lo) < 0 ? 1 : 0);
    LE64.set(out, outOff, outLo);
    LE64.set(out, outOff + 8, outHi);
  }
}
