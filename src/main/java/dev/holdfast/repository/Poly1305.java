package dev.holdfast.repository;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Poly1305 one-time authenticator (Bernstein, "The Poly1305-AES message-authentication code";
 * RFC 8439 section 2.5) over a 32-byte key {@code r || s}: the MAC of every sealed repository
 * object, in radix 2^64 with 128-bit products.
 *
 * <p>Written here because BouncyCastle's (which copies each block and reads it byte by byte) took
 * about an eighth of a backup's CPU time, and the JDK's accelerated one is not public API.
 * Stateless; thread-safe.
 */
final class Poly1305 {
  static final int TAG = 16;

  private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private Poly1305() {}

  /**
   * Writes the tag of {@code data[off, off + len)} under the clamped {@code r} and {@code s} (16
   * bytes each, little-endian as in the RFC) to {@code out[outOff, outOff + 16)}.
   */
  static void mac(byte[] r, byte[] s, byte[] data, int off, int len, byte[] out, int outOff) {
    // h and r in radix 2^64 (as OpenSSL's 64-bit poly1305_blocks): r0 + r1 2^64, h0 + h1 2^64 + h2
    // 2^128. Clamping clears r1's low two bits, so r1 2^128 = (r1 / 4) 2^130 = 5 r1 / 4 = s1 (mod p):
    // each block takes four 64x64-bit products (low and high halves) instead of 25 with 26-bit limbs.
    final long r0 = (long) LE64.get(r, 0);
    final long r1 = (long) LE64.get(r, 8);
    final long s1 = r1 + (r1 >>> 2);
    long h0 = 0, h1 = 0, h2 = 0;

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
        hibit = 1; // 2^128: every full block has a 1 appended
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
      // h += m
      long t0 = h0 + m0;
      long c = Long.compareUnsigned(t0, h0) < 0 ? 1 : 0;
      long t1 = h1 + m1;
      long c1 = Long.compareUnsigned(t1, h1) < 0 ? 1 : 0;
      long t1c = t1 + c;
      c1 += Long.compareUnsigned(t1c, t1) < 0 ? 1 : 0;
      h0 = t0;
      h1 = t1c;
      h2 += c1 + hibit;

      // d = h r (mod p): d0 = h0 r0 + h1 s1, d1 = h0 r1 + h1 r0 + h2 s1, d2 = h2 r0
      long lo = h0 * r0;
      long hi = Math.unsignedMultiplyHigh(h0, r0);
      long a = h1 * s1;
      long d0 = lo + a;
      hi += Math.unsignedMultiplyHigh(h1, s1) + (Long.compareUnsigned(d0, lo) < 0 ? 1 : 0);
      long d0hi = hi;

      lo = h0 * r1;
      hi = Math.unsignedMultiplyHigh(h0, r1);
      a = h1 * r0;
      long d1 = lo + a;
      hi += Math.unsignedMultiplyHigh(h1, r0) + (Long.compareUnsigned(d1, lo) < 0 ? 1 : 0);
      lo = d1;
      a = h2 * s1; // h2 is at most 7: no high half
      d1 = lo + a;
      hi += Long.compareUnsigned(d1, lo) < 0 ? 1 : 0;
      lo = d1;
      d1 = lo + d0hi;
      hi += Long.compareUnsigned(d1, lo) < 0 ? 1 : 0;
      long d2 = h2 * r0 + hi;

      // fold what lies at and above 2^130 back in, times 5
      h0 = d0;
      h1 = d1;
      h2 = d2 & 3;
      c = (d2 & ~3L) + (d2 >>> 2);
      t0 = h0 + c;
      c = Long.compareUnsigned(t0, h0) < 0 ? 1 : 0;
      h0 = t0;
      t1 = h1 + c;
      c = Long.compareUnsigned(t1, h1) < 0 ? 1 : 0;
      h1 = t1;
      h2 += c;
      if (last != null) {
        break;
      }
    }

    // h < 2p here; g = h + 5 - 2^130: if it is not negative, h was >= p and g is h mod p
    long g0 = h0 + 5;
    long c = Long.compareUnsigned(g0, h0) < 0 ? 1 : 0;
    long g1 = h1 + c;
    c = Long.compareUnsigned(g1, h1) < 0 ? 1 : 0;
    long g2 = h2 + c;
    long useG = -(g2 >>> 2); // all ones when g >= 2^130
    h0 = (h0 & ~useG) | (g0 & useG);
    h1 = (h1 & ~useG) | (g1 & useG);

    // tag = (h + s) mod 2^128
    long sLo = (long) LE64.get(s, 0);
    long sHi = (long) LE64.get(s, 8);
    long outLo = h0 + sLo;
    long outHi = h1 + sHi + (Long.compareUnsigned(outLo, h0) < 0 ? 1 : 0);
    LE64.set(out, outOff, outLo);
    LE64.set(out, outOff + 8, outHi);
  }
}
