package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/** Our Poly1305 against RFC 8439's vector and against BouncyCastle's on random keys and lengths. */
class Poly1305Test {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void matchesRfc8439Vector() {
    // RFC 8439 section 2.5.2
    byte[] key = HEX.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    byte[] msg = "Cryptographic Forum Research Group".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] tag = new byte[16];
    Poly1305.mac(CryptoKey.clamp(Arrays.copyOf(key, 16)), Arrays.copyOfRange(key, 16, 32), msg, 0, msg.length, tag, 0);
    assertThat(HEX.formatHex(tag)).isEqualTo("a8061dc1305136c6c22b8baf0c0127a9");
  }

  @Test
  void matchesBouncyCastleOnRandomInput() {
    var random = new Random(8);
    byte[] data = new byte[5000];
    for (int round = 0; round < 3000; round++) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      if (round % 7 == 0) {
        Arrays.fill(key, 16, 32, (byte) 0xff); // s near 2^128: the final addition carries
      }
      if (round % 5 == 0) {
        Arrays.fill(key, 0, 16, (byte) 0xff); // the largest r clamping allows: the widest products
      }
      if (round % 11 == 0) {
        Arrays.fill(data, (byte) 0xff); // large limbs: the reduction of h near 2^130 - 5
      } else {
        random.nextBytes(data);
      }
      int off = random.nextInt(40);
      int len = round < 100 ? round : random.nextInt(data.length - off);
      byte[] r = CryptoKey.clamp(Arrays.copyOf(key, 16));
      byte[] ours = new byte[20];
      Poly1305.mac(r, Arrays.copyOfRange(key, 16, 32), data, off, len, ours, 2);

      var bc = new org.bouncycastle.crypto.macs.Poly1305();
      bc.init(new KeyParameter(key));
      bc.update(data, off, len);
      byte[] expected = new byte[16];
      bc.doFinal(expected, 0);
      assertThat(Arrays.copyOfRange(ours, 2, 18)).as("round %d, %d bytes", round, len).isEqualTo(expected);
    }
  }

  @Test
  void inPiecesEqualsWhole() {
    var random = new Random(9);
    byte[] data = new byte[70_000];
    var state = new Poly1305.State(); // reused across messages, as a restore worker reuses it
    for (int round = 0; round < 500; round++) {
      random.nextBytes(data);
      byte[] key = new byte[32];
      random.nextBytes(key);
      byte[] r = CryptoKey.clamp(Arrays.copyOf(key, 16));
      byte[] s = Arrays.copyOfRange(key, 16, 32);
      int len = round < 40 ? round : random.nextInt(data.length);
      byte[] whole = new byte[16];
      Poly1305.mac(r, s, data, 0, len, whole, 0);

      state.init(r, s);
      int done = 0;
      while (done < len) { // pieces of 0 to 40 bytes, or up to 20 000: partial blocks on both sides
        int piece = Math.min(len - done, random.nextBoolean() ? random.nextInt(41) : random.nextInt(20_000));
        state.update(data, done, piece);
        done += piece;
      }
      byte[] pieces = new byte[17];
      state.finish(pieces, 1);
      assertThat(Arrays.copyOfRange(pieces, 1, 17)).as("round %d, %d bytes", round, len).isEqualTo(whole);
    }
  }
}
