package dev.holdfast.repository;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Poly1305 one-time authenticator (Bernstein, "The Poly1305-AES message-authentication code";
 * RFC 8439 section 2.5) over a 32-byte key {@code r || s}: the MAC of every sealed repository
 * object, computed in two 64-bit limbs and a small third one with 128-bit products, as OpenSSL's
 * and poly1305-donna's 64-bit code do.
 *
 * <p>Written here because BouncyCastle's (which copies each block and reads it byte by byte) took
 * about an eighth of a backup's CPU time, and the JDK's accelerated one is not public API. 64-bit
 * limbs take 4 full and 2 small multiplications per block where 26-bit limbs take 25 (about twice
 * the speed; {@code Math.unsignedMultiplyHigh} is a JIT intrinsic). Stateless; thread-safe.
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
    final long r0 = (long) LE64.get(r, 0);
    final long r1 = (long) LE64.get(r, 8);
    long[] h = new long[3]; // h0, h1, h2: h2 is a few bits (h is only partially reduced between blocks)
    int full = len & ~15;
    blocks(h, data, off, off + full, 1, r0, r1); // every full block has a 1 appended (2^128)
    if (full < len) {
      byte[] last = new byte[16]; // the final partial block: its bytes, a 1, then zeros
      System.arraycopy(data, off + full, last, 0, len - full);
      last[len - full] = 1;
      blocks(h, last, 0, 16, 0, r0, r1);
    }
    long h0 = h[0];
    long h1 = h[1];
    long h2 = h[2];

    // g = h + 5; if g reaches 2^130, h was >= p and the low 130 bits of g are h mod p
    long g0 = h0 + 5;
    long c = carry(h0, g0);
    long g1 = h1 + c;
    c = carry(h1, g1);
    long g2 = h2 + c;
    long useG = -(g2 >>> 2); // all ones when g >= 2^130 (h2 is at most 4 here)
    h0 = (h0 & ~useG) | (g0 & useG);
    h1 = (h1 & ~useG) | (g1 & useG);

    // tag = (h + s) mod 2^128
    long sLo = (long) LE64.get(s, 0);
    long sHi = (long) LE64.get(s, 8);
    long outLo = h0 + sLo;
    long outHi = h1 + sHi + carry(h0, outLo);
    LE64.set(out, outOff, outLo);
    LE64.set(out, outOff + 8, outHi);
  }

  /**
   * Absorbs the 16-byte blocks of {@code data[p, end)}, each with {@code pad} at 2^128, into
   * {@code h}. A loop of its own, so the JIT compiles it without the final block's special case.
   */
  private static void blocks(long[] h, byte[] data, int p, int end, long pad, long r0, long r1) {
    // Clamping leaves r0, r1 below 2^60 and r1 a multiple of 4, so 2^130 = 5/4 * 2^128 folds
    // h1 * r1 * 2^128 into h1 * (r1 + r1 / 4) exactly; every sum below stays inside 128 bits.
    final long s1 = r1 + (r1 >>> 2);
    long h0 = h[0];
    long h1 = h[1];
    long h2 = h[2];
    for (; p < end; p += 16) {
      long m0 = (long) LE64.get(data, p);
      long m1 = (long) LE64.get(data, p + 8);
      // h += m
      long t = h0 + m0;
      long c = carry(h0, t);
      h0 = t;
      t = h1 + m1;
      long c2 = carry(h1, t);
      h1 = t + c;
      c2 += carry(t, h1);
      h2 += c2 + pad;

      // d0 = h0 r0 + h1 s1, d1 = h0 r1 + h1 r0 + h2 s1 (128-bit), h2 r0 (64-bit)
      long d0lo = h0 * r0;
      long d0hi = Math.unsignedMultiplyHigh(h0, r0);
      long x = h1 * s1;
      t = d0lo + x;
      d0hi += Math.unsignedMultiplyHigh(h1, s1) + carry(d0lo, t);
      d0lo = t;

      long d1lo = h0 * r1;
      long d1hi = Math.unsignedMultiplyHigh(h0, r1);
      x = h1 * r0;
      t = d1lo + x;
      d1hi += Math.unsignedMultiplyHigh(h1, r0) + carry(d1lo, t);
      d1lo = t;
      x = h2 * s1;
      t = d1lo + x;
      d1hi += carry(d1lo, t);
      d1lo = t;
      long h2r0 = h2 * r0;

      // h = d0 + d1 * 2^64 + h2r0 * 2^128, then fold what lies at or above 2^130 back in times 5
      h0 = d0lo;
      t = d1lo + d0hi;
      d1hi += carry(d1lo, t);
      h1 = t;
      h2 = h2r0 + d1hi;
      c = (h2 >>> 2) + (h2 & ~3L);
      h2 &= 3;
      t = h0 + c;
      c = carry(h0, t);
      h0 = t;
      t = h1 + c;
      c = carry(h1, t);
      h1 = t;
      h2 += c;
    }
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
  }

  /**
   * The carry out of {@code sum = a + b} (unsigned, for any b), 0 or 1: whether {@code sum < a},
   * branch-free (Hacker's Delight 2-12). A ternary on {@code Long.compareUnsigned} ran 30% faster
   * when the JIT's profile saw random carries, and half as fast when it had seen few (short or
   * zero-key inputs first), so the speed would depend on what ran before.
   */
  private static long carry(long a, long sum) {
    return ((~sum & a) | (~(sum ^ a) & (sum - a))) >>> 63;
  }
}
