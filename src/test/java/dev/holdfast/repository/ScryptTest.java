package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.bouncycastle.crypto.generators.SCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScryptTest {

  /** RFC 7914 section 12 test vectors (the fourth, N = 2^20, needs 1 GiB and is left out). */
  @ParameterizedTest
  @CsvSource({
    "'', '', 16, 1, 1, 77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
    "password, NaCl, 1024, 8, 16, fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
    "pleaseletmein, SodiumChloride, 16384, 8, 1, 7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887",
  })
  void matchesRfc7914(String password, String salt, int n, int r, int p, String expected) {
    byte[] dk = Scrypt.derive(
        password.getBytes(StandardCharsets.UTF_8), salt.getBytes(StandardCharsets.UTF_8), n, r, p, 64);
    assertThat(HexFormat.of().formatHex(dk)).isEqualTo(expected);
  }

  @Test
  void matchesBouncyCastleOnRandomParameters() {
    var rnd = new Random(9);
    for (int i = 0; i < 40; i++) {
      byte[] password = new byte[rnd.nextInt(100)]; // up to 99 bytes: beyond one HMAC block, too
      byte[] salt = new byte[rnd.nextInt(80)];
      rnd.nextBytes(password);
      rnd.nextBytes(salt);
      int n = 2 << rnd.nextInt(9);
      int r = 1 + rnd.nextInt(9);
      int p = 1 + rnd.nextInt(3);
      int len = 1 + rnd.nextInt(100);
      assertThat(Scrypt.derive(password, salt, n, r, p, len))
          .as("N=%d r=%d p=%d len=%d", n, r, p, len)
          .isEqualTo(SCrypt.generate(password, salt, n, r, p, len));
    }
  }
}
