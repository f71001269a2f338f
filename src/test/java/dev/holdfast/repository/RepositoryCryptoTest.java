package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sealing and opening with restic's test vectors, tamper detection, and key files. */
class RepositoryCryptoTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);

  @Test
  void opensResticsTestVector() {
    // restic internal/crypto/crypto_int_test.go: a blob sealed by restic's Go code
    var key = new CryptoKey(
        HEX.parseHex("303e8687b1d7db18421bdc6bb8588ccadac4d59ee87b8ff70c44e635790cafef"),
        HEX.parseHex("ef4d8824cb80b2bcc5fbff8a9b12a42c"),
        HEX.parseHex("cc8d4b948ee0ebfe1d415de921d10353"));
    byte[] sealed = HEX.parseHex(
        "69fb41c62d12def4593bd71757138606338f621aeaeb39da0fe4f99233f8037a54ea63338a813bcf3f75d8c3cc75dddf8750");
    assertThat(new String(key.open(sealed), StandardCharsets.UTF_8)).isEqualTo("Dies ist ein Test!");
  }

  @Test
  void poly1305AesMatchesBernsteinsVector() {
    var key = new CryptoKey(new byte[32], HEX.parseHex("ec074c835580741701425b623235add6"),
        HEX.parseHex("851fc40c3467ac0be05cc20404f3f700"));
    byte[] tag = key.tag(HEX.parseHex("fb447350c4e868c52ac3275cf9d4327e"), HEX.parseHex("f3f6"));
    assertThat(HEX.formatHex(tag)).isEqualTo("f4c633c3044fc145f84f335cb81953de");
  }

  @Test
  void roundTripsAndRejectsEveryFlippedBit() {
    var key = CryptoKey.random();
    var random = new Random(1);
    for (int len : new int[] {0, 1, 15, 16, 17, 1000, 70_000}) {
      byte[] plain = new byte[len];
      random.nextBytes(plain);
      byte[] sealed = key.seal(plain);
      assertThat(sealed).hasSize(len + CryptoKey.OVERHEAD);
      assertThat(key.open(sealed)).isEqualTo(plain);
      int bit = random.nextInt(sealed.length * 8);
      byte[] tampered = sealed.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThatThrownBy(() -> key.open(tampered))
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED));
    }
    byte[] sealed = key.seal(new byte[10]);
    assertThatThrownBy(() -> CryptoKey.random().open(sealed)).hasMessageContaining("MAC");
    assertThatThrownBy(() -> key.open(new byte[31])).hasMessageContaining("too short");
  }

  @Test
  void keyFileRoundTripAndWrongPassword() {
    var master = CryptoKey.random();
    var file = KeyFile.create(master, "sekrit ünï", FAST, "me", "box",
        OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 600_000_000, ZoneOffset.UTC));
    String json = new String(file.toJson(), StandardCharsets.UTF_8);
    assertThat(json).startsWith("{\"created\":\"2026-01-02T03:04:05.6Z\",\"username\":\"me\",\"hostname\":\"box\","
        + "\"kdf\":\"scrypt\",\"N\":1024,\"r\":8,\"p\":1,\"salt\":\"");
    var parsed = KeyFile.parse(file.toJson(), "k1");
    assertThat(parsed.salt()).hasSize(64);
    CryptoKey unlocked = parsed.unlock("sekrit ünï", "k1");
    byte[] sealed = master.seal(new byte[] {1, 2, 3});
    assertThat(unlocked.open(sealed)).containsExactly(1, 2, 3);

    assertThatThrownBy(() -> parsed.unlock("sekrit", "k1"))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).isEqualTo("wrong password for key k1");
        });
  }

  @Test
  void hostileKdfParametersAreRefusedBeforeDerivation() {
    String json = "{\"kdf\":\"scrypt\",\"N\":1073741824,\"r\":8,\"p\":1,\"salt\":\"" + "A".repeat(88)
        + "\",\"data\":\"" + "A".repeat(64) + "\"}";
    assertThatThrownBy(() -> KeyFile.parse(json.getBytes(StandardCharsets.UTF_8), "evil"))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY));
  }
}
