package dev.holdfast.repository;

import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * A polynomial over GF(2) (bit i is the coefficient of x^i) such as the chunker polynomial a
 * restic repository stores in its {@code config} file, following restic/chunker's
 * {@code polynomials.go}.
 *
 * <p>The value is read as an unsigned 64-bit number, like Go's {@code uint64} behind restic's
 * {@code Pol}, so polynomials of degree 63 are representable.
 */
public record Polynomial(long value) {

  /** The degree restic gives every repository's chunker polynomial (the largest prime below 64 - 8). */
  public static final int CHUNKER_DEGREE = 53;

  // restic's DerivePolynomial gives up after a million draws; about one draw in 27 succeeds.
  private static final int RANDOM_TRIES = 1_000_000;

  /** The degree, or -1 for the zero polynomial. */
  public int degree() {
    return degree(value);
  }

  /**
   * Whether this polynomial has no factor of lower positive degree, by Ben-Or's test as restic's
   * {@code Pol.Irreducible}: irreducible iff gcd(f, x^(2^i) - x mod f) = 1 for every i up to deg/2.
   *
   * <p>Unlike restic, which answers true for them, the constants 0 and 1 are not irreducible (no
   * chunker can use them either way).
   */
  public boolean isIrreducible() {
    int deg = degree();
    if (deg < 1) {
      return false;
    }
    long xToTheTwoToTheI = mod(2, value); // x^(2^0), reduced in case deg == 1
    for (int i = 1; i <= deg / 2; i++) {
      xToTheTwoToTheI = mulMod(xToTheTwoToTheI, xToTheTwoToTheI, value);
      if (gcd(value, xToTheTwoToTheI ^ 2) != 1) { // deg >= 2 here, so x needs no reduction
        return false;
      }
    }
    return true;
  }

  /**
   * A random irreducible polynomial of degree 53, drawn as restic's {@code DerivePolynomial} (used
   * by {@code restic init}) draws it: 64 random bits, cut to 54, with x^53 and 1 set, until one is
   * irreducible. Pass a {@link java.security.SecureRandom} for a new repository.
   *
   * @throws IllegalStateException if a million draws found none (practically impossible with a
   *     working generator)
   */
  public static Polynomial random(RandomGenerator random) {
    for (int i = 0; i < RANDOM_TRIES; i++) {
      long candidate = (random.nextLong() & ((1L << (CHUNKER_DEGREE + 1)) - 1))
          | (1L << CHUNKER_DEGREE) | 1;
      var polynomial = new Polynomial(candidate);
      if (polynomial.isIrreducible()) {
        return polynomial;
      }
    }
    throw new IllegalStateException("no irreducible polynomial of degree " + CHUNKER_DEGREE
        + " in " + RANDOM_TRIES + " random draws: is the random generator broken?");
  }

  /**
   * Parses the hex form of {@code chunker_polynomial} in a restic {@code config} file, as Go's
   * {@code strconv.ParseUint(s, 16, 64)} does: 1 to 16 hex digits of either case, no prefix, no
   * sign. Says nothing about irreducibility or degree: check those before chunking with it.
   *
   * @throws IllegalArgumentException if {@code hex} is not such a number
   */
  public static Polynomial parseHex(String hex) {
    if (hex.isEmpty() || hex.length() > 16 || !hex.chars().allMatch(Polynomial::isHexDigit)) {
      throw new IllegalArgumentException(
          "not a chunker polynomial (1 to 16 hex digits expected): \"" + hex + "\"");
    }
    return new Polynomial(Long.parseUnsignedLong(hex, 16));
  }

  /** The form restic writes into {@code config}: lower-case hex without prefix or leading zeros. */
  public String toHex() {
    return Long.toUnsignedString(value, 16).toLowerCase(Locale.ROOT);
  }

  /** Like restic's {@code Pol.String}: {@code 0x} and the hex digits. */
  @Override
  public String toString() {
    return "0x" + toHex();
  }

  private static boolean isHexDigit(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  static int degree(long p) {
    return 63 - Long.numberOfLeadingZeros(p);
  }

  /** The remainder of x divided by d, by long division where subtraction is XOR. */
  static long mod(long x, long d) {
    if (d == 0) {
      throw new ArithmeticException("polynomial division by zero");
    }
    int dd = degree(d);
    for (int diff = degree(x) - dd; diff >= 0; diff = degree(x) - dd) {
      x ^= d << diff;
    }
    return x;
  }

  /** a * b mod g, shifting and reducing one bit at a time so nothing overflows 64 bits. */
  static long mulMod(long a, long b, long g) {
    a = mod(a, g);
    b = mod(b, g);
    int dg = degree(g);
    long result = 0;
    while (b != 0) {
      if ((b & 1) != 0) {
        result ^= a;
      }
      b >>>= 1;
      a <<= 1; // deg(a) < deg(g) <= 63, so the shift loses no bit
      if (((a >>> dg) & 1) != 0) {
        a ^= g;
      }
    }
    return result;
  }

  static long gcd(long a, long b) {
    while (b != 0) {
      long r = mod(a, b);
      a = b;
      b = r;
    }
    return a;
  }
}
