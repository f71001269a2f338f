package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks polynomial arithmetic and the irreducibility test against restic/chunker's
 * {@code polynomials_test.go} tables and against brute-force factoring of small polynomials.
 */
class PolynomialTest {

  /** restic/chunker {@code polIrredTests}: the only irreducible ones are 0x3DA3358B4DC173 and 0x2482734cacca49. */
  @ParameterizedTest(name = "{0} irreducible: {1}")
  @CsvSource({
    "38f1e565e288df, false", "3DA3358B4DC173, true", "30a8295b9d5c91, false",
    "255f4350b962cb, false", "267f776110a235, false", "2f4dae10d41227, false",
    "2482734cacca49, true", "312daf4b284899, false", "29dfb6553d01d1, false",
    "3548245eb26257, false", "3199e7ef4211b3, false", "362f39017dae8b, false",
    "200d57aa6fdacb, false", "35e0a4efa1d275, false", "2ced55b026577f, false",
    "260b012010893d, false", "2df29cbcd59e9d, false", "3f2ac7488bd429, false",
    "3e5cb1711669fb, false", "226d8de57a9959, false", "3c8de80aaf5835, false",
    "2026a59efb219b, false", "39dfa4d13fb231, false", "3143d0464b3299, false",
  })
  void irreducibilityAsInResticsTable(String hex, boolean irreducible) {
    Polynomial p = Polynomial.parseHex(hex);

    assertThat(p.degree()).isEqualTo(53);
    assertThat(p.isIrreducible()).isEqualTo(irreducible);
  }

  /**
   * Every polynomial of degree 1 to 12 against trial division; the counts of irreducible ones per
   * degree are Gauss's necklace numbers (OEIS A001037).
   */
  @Test
  void irreducibilityAgreesWithTrialDivisionUpToDegree12() {
    int[] expectedCount = {0, 2, 1, 2, 3, 6, 9, 18, 30, 56, 99, 186, 335};
    for (int deg = 1; deg <= 12; deg++) {
      int count = 0;
      for (long p = 1L << deg; p < 2L << deg; p++) {
        boolean byDivision = hasNoFactor(p);
        assertThat(new Polynomial(p).isIrreducible()).as("%s", new Polynomial(p))
            .isEqualTo(byDivision);
        count += byDivision ? 1 : 0;
      }
      assertThat(count).as("irreducible polynomials of degree %d", deg)
          .isEqualTo(expectedCount[deg]);
    }
  }

  @Test
  void constantsAreNotIrreducible() {
    assertThat(new Polynomial(0).isIrreducible()).isFalse();
    assertThat(new Polynomial(1).isIrreducible()).isFalse();
  }

  /** The product of two irreducible polynomials of degree 53 does not fit; one of degree 26 times 27 does. */
  @Test
  void productOfTwoIrreducibleFactorsIsReducible() {
    var rnd = new SplittableRandom(5);
    long a = irreducibleOfDegree(26, rnd);
    long b = irreducibleOfDegree(27, rnd);
    long product = clmul(a, b);

    assertThat(new Polynomial(product).degree()).isEqualTo(53);
    assertThat(new Polynomial(product).isIrreducible()).isFalse();
  }

  @Test
  void degreeAsInRestic() {
    assertThat(new Polynomial(0x3af4b284899L).degree()).isEqualTo(41); // BenchmarkPolDeg
    assertThat(new Polynomial(0x3DA3358B4DC173L).degree()).isEqualTo(53);
    assertThat(new Polynomial(1).degree()).isZero();
    assertThat(new Polynomial(0).degree()).isEqualTo(-1);
    assertThat(new Polynomial(0x8000000000000000L).degree()).isEqualTo(63);
  }

  /** restic/chunker {@code polModTests}, {@code polGCDTests} and {@code polMulModTests}. */
  @Test
  void arithmeticAsInResticsTables() {
    assertThat(Polynomial.mod(10, 50)).isEqualTo(10);
    assertThat(Polynomial.mod(0, 1)).isZero();
    assertThat(Polynomial.mod(0b101101001, 0b1010)).isEqualTo(1);
    assertThat(Polynomial.mod(2, 2)).isZero();
    assertThat(Polynomial.mod(0x8000000000000000L, 0x8000000000000000L)).isZero();
    assertThat(Polynomial.mod(0b1100, 0b100)).isZero();
    assertThat(Polynomial.mod(0b1100001111, 0b10011)).isZero();

    long[][] gcds = {
      {10, 50, 2}, {0, 1, 1}, {0b101101001, 0b1010, 1}, {2, 2, 2}, {0b1010, 0b11, 0b11},
      {0x8000000000000000L, 0x8000000000000000L, 0x8000000000000000L}, {0b1100, 0b101, 0b11},
      {0b1100001111, 0b10011, 0b10011}, {0x3DA3358B4DC173L, 0x3DA3358B4DC173L, 0x3DA3358B4DC173L},
      {0x3DA3358B4DC173L, 0x230d2259defdL, 1}, {0x230d2259defdL, 0x51b492b3eff2L, 0b10011},
    };
    for (long[] t : gcds) {
      assertThat(Polynomial.gcd(t[0], t[1])).as("gcd(%x, %x)", t[0], t[1]).isEqualTo(t[2]);
      assertThat(Polynomial.gcd(t[1], t[0])).as("gcd(%x, %x)", t[1], t[0]).isEqualTo(t[2]);
    }

    assertThat(Polynomial.mulMod(0x1230, 0x230, 0x55)).isEqualTo(0x22);
    assertThat(Polynomial.mulMod(0x0eae8c07dbbb3026L, 0xd5d6db9de04771deL, 0xdd2bda3b77c9L))
        .isEqualTo(0x425ae8595b7aL);
  }

  @Test
  void randomGivesIrreducibleDegree53PolynomialsLikeResticInit() {
    var rnd = new SplittableRandom(42);
    var seen = new HashSet<Long>();
    for (int i = 0; i < 200; i++) {
      Polynomial p = Polynomial.random(rnd);

      assertThat(p.degree()).isEqualTo(Polynomial.CHUNKER_DEGREE);
      assertThat(p.value() & 1).isOne();
      assertThat(p.isIrreducible()).isTrue();
      seen.add(p.value());
    }
    assertThat(seen).hasSize(200);
  }

  /** restic's DerivePolynomial masks the 64 drawn bits to 54 and sets x^53 and 1. */
  @Test
  void randomKeepsTheDrawnBitsBelowDegree53() {
    long irreducibleBits = 0x3DA3358B4DC173L & ((1L << 53) - 1) & ~1L;
    var draws = LongStream.of(0, 0xFFFFFFFFFFFFFFFFL, 0xABC0000000000000L | irreducibleBits)
        .iterator();

    assertThat(Polynomial.random(draws::nextLong)).isEqualTo(new Polynomial(0x3DA3358B4DC173L));
  }

  @Test
  void randomGivesUpWhenTheGeneratorNeverYieldsAnIrreduciblePolynomial() {
    // x^53 + 1 has the root 1, so it is divisible by x + 1.
    assertThatThrownBy(() -> Polynomial.random(() -> 0L))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void hexAsInResticConfig() {
    Polynomial p = Polynomial.parseHex("3b86eaf5153d8b");

    assertThat(p.value()).isEqualTo(0x3b86eaf5153d8bL);
    assertThat(p.toHex()).isEqualTo("3b86eaf5153d8b");
    assertThat(p).hasToString("0x3b86eaf5153d8b");
    assertThat(Polynomial.parseHex("3DA3358B4DC173").toHex()).isEqualTo("3da3358b4dc173");
    assertThat(Polynomial.parseHex("003da3358b4dc173").value())
        .isEqualTo(0x3DA3358B4DC173L);
    assertThat(Polynomial.parseHex("ffffffffffffffff").value()).isEqualTo(-1L);
    assertThat(new Polynomial(-1L).toHex()).isEqualTo("ffffffffffffffff");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "0x3b86eaf5153d8b", "+3b86eaf5153d8b", "-1", "3b86 eaf5",
      "10000000000000000", "3b86eaf5153d8g"})
  void malformedHexIsRejected(String hex) {
    assertThatThrownBy(() -> Polynomial.parseHex(hex))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("polynomial");
  }

  private static long irreducibleOfDegree(int deg, SplittableRandom rnd) {
    for (;;) {
      long p = (rnd.nextLong() & ((1L << deg) - 1)) | (1L << deg) | 1;
      if (new Polynomial(p).isIrreducible()) {
        return p;
      }
    }
  }

  private static boolean hasNoFactor(long p) {
    int deg = 63 - Long.numberOfLeadingZeros(p);
    for (long d = 2; 63 - Long.numberOfLeadingZeros(d) <= deg / 2; d++) {
      if (remainder(p, d) == 0) {
        return false;
      }
    }
    return true;
  }

  private static long remainder(long x, long d) {
    int dd = 63 - Long.numberOfLeadingZeros(d);
    for (int shift = (63 - Long.numberOfLeadingZeros(x)) - dd; shift >= 0;
        shift = (63 - Long.numberOfLeadingZeros(x)) - dd) {
      x ^= d << shift;
    }
    return x;
  }

  private static long clmul(long a, long b) {
    long r = 0;
    for (int i = 0; i < 64; i++) {
      if (((b >>> i) & 1) != 0) {
        r ^= a << i;
      }
    }
    return r;
  }
}
