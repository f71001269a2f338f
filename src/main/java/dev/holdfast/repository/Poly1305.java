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
    State st = new State();
    st.init(r, s);
    st.update(data, off, len);
    st.finish(out, outOff);
  }

  /**
   * A tag computed over a message given in pieces of any length (a blob streamed from a pack);
   * reusable: {@link #init} starts the next message.
   */
  static final class State {
    private long r0;
    private long r1;
    private long s1;
    private long sLo;
    private long sHi;
    private long h0;
    private long h1;
    private long h2;
    /** A block begun by one piece and not yet full. */
    private final byte[] partial = new byte[16];
    private int partialLen;

    void init(byte[] r, byte[] s) {
      r0 = (long) LE64.get(r, 0);
      r1 = (long) LE64.get(r, 8);
      // h and r in radix 2^64 (as OpenSSL's 64-bit poly1305_blocks): r0 + r1 2^64, h0 + h1 2^64 + h2
      // 2^128. Clamping clears r1's low two bits, so r1 2^128 = (r1 / 4) 2^130 = 5 r1 / 4 = s1 (mod p):
      // each block takes four 64x64-bit products (low and high halves) instead of 25 with 26-bit limbs.
      s1 = r1 + (r1 >>> 2);
      sLo = (long) LE64.get(s, 0);
      sHi = (long) LE64.get(s, 8);
      h0 = 0;
      h1 = 0;
      h2 = 0;
      partialLen = 0;
    }

    void update(byte[] data, int off, int len) {
      if (partialLen > 0) {
        int take = Math.min(len, 16 - partialLen);
        System.arraycopy(data, off, partial, partialLen, take);
        partialLen += take;
        off += take;
        len -= take;
        if (partialLen < 16) {
          return;
        }
        blocks(partial, 0, 16, 1);
        partialLen = 0;
      }
      int full = len & ~15;
      if (full > 0) {
        blocks(data, off, full, 1);
      }
      if (len > full) {
        System.arraycopy(data, off + full, partial, 0, len - full);
        partialLen = len - full;
      }
    }

    /** Writes the tag to {@code out[outOff, outOff + 16)}. */
    void finish(byte[] out, int outOff) {
      if (partialLen > 0) { // the final partial block: its bytes, a 1, then zeros
        partial[partialLen] = 1;
        java.util.Arrays.fill(partial, partialLen + 1, 16, (byte) 0);
        blocks(partial, 0, 16, 0);
        partialLen = 0;
      }
      // h < 2p here; g = h + 5 - 2^130: if it is not negative, h was >= p and g is h mod p
      long g0 = h0 + 5;
      long c = Long.compareUnsigned(g0, h0) < 0 ? 1 : 0;
      long g1 = h1 + c;
      c = Long.compareUnsigned(g1, h1) < 0 ? 1 : 0;
      long g2 = h2 + c;
      long useG = -(g2 >>> 2); // all ones when g >= 2^130
      long f0 = (h0 & ~useG) | (g0 & useG);
      long f1 = (h1 & ~useG) | (g1 & useG);

      // tag = (h + s) mod 2^128
      long outLo = f0 + sLo;
      long outHi = f1 + sHi + (Long.compareUnsigned(outLo, f0) < 0 ? 1 : 0);
      LE64.set(out, outOff, outLo);
      LE64.set(out, outOff + 8, outHi);
    }

    /** Absorbs the 16-byte blocks of {@code data[off, off + len)} ({@code len} a multiple of 16), each with {@code hibit} 2^128 added. */
    private void blocks(byte[] data, int off, int len, long hibit) {
      final long r0 = this.r0;
      final long r1 = this.r1;
      final long s1 = this.s1;
      long h0 = this.h0;
      long h1 = this.h1;
      long h2 = this.h2;
      int end = off + len;
      for (int p = off; p < end; p += 16) {
        long m0 = (long) LE64.get(data, p);
        long m1 = (long) LE64.get(data, p + 8);
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
      }
      this.h0 = h0;
      this.h1 = h1;
      this.h2 = h2;
    }
  }
}
