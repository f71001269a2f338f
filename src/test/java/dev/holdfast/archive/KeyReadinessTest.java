package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyReadinessTest {
  @TempDir static Path keys;
  static GeneratedKey alice;
  static GeneratedKey signer;
  final KeyReadiness readiness = new KeyReadiness(Clock.systemUTC());

  @BeforeAll
  static void makeKeys() throws Exception {
    alice = GeneratedKey.ed25519(keys, "alice");
    signer = GeneratedKey.signOnly(keys, "signer");
  }

  @Test
  void reportsWhatAnEncryptionKeyIs() {
    KeyReport report = readiness.check(alice.publicKeyFile()).get(0);

    assertThat(report.fingerprint()).isEqualTo(KeyFile.fingerprint(alice.key().getFingerprint())).matches("[0-9A-F]{40}");
    assertThat(report.userId()).contains("alice <alice@example.org>");
    assertThat(report.created()).isBeforeOrEqualTo(Instant.now()).isAfter(Instant.now().minus(Duration.ofHours(1)));
    assertThat(report.expires()).isEmpty();
    assertThat(report.revoked()).isFalse();
    assertThat(report.canEncrypt()).isTrue();
    assertThat(report.encryptionSubkey()).contains(
        KeyFile.fingerprint(alice.key().getEncryptionKeys().get(0).getPGPPublicKey().getFingerprint()));
    assertThat(report.label()).isEqualTo(report.fingerprint() + " (alice <alice@example.org>)");
  }

  @Test
  void readsBinaryKeysAndEveryBlockOfAFile(@TempDir Path dir) throws IOException {
    Path binary = Files.write(dir.resolve("alice.gpg"), alice.key().toCertificate().getEncoded());
    Path both = Files.writeString(dir.resolve("both.asc"),
        Files.readString(alice.publicKeyFile()) + Files.readString(signer.publicKeyFile()));

    assertThat(readiness.check(binary)).singleElement().satisfies(r -> assertThat(r.canEncrypt()).isTrue());
    assertThat(readiness.inspect(both)).extracting(KeyReport::canEncrypt).containsExactly(true, false);
  }

  @Test
  void aSigningOnlyKeyCannotEncrypt() {
    KeyReport report = readiness.inspect(signer.publicKeyFile()).get(0);

    assertThat(report.canEncrypt()).isFalse();
    assertThat(report.encryptionSubkey()).isEmpty();
    assertThat(report.problem().orElseThrow().message()).contains("no subkey for encryption");
    assertThatThrownBy(() -> readiness.check(signer.publicKeyFile()))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains(signer.publicKeyFile().toString()).contains(report.fingerprint());
          assertThat(e.hint()).contains("gpg --quick-add-key " + report.fingerprint());
        });
  }

  @Test
  void aSecretKeyIsNotARecipient() {
    KeyReport report = readiness.inspect(alice.secretKeyFile()).get(0);

    assertThat(report.canEncrypt()).isFalse();
    assertThat(report.problem().orElseThrow().hint()).contains("gpg --export --armor " + report.fingerprint());
  }

  @Test
  void aKeyFromTheFutureSaysToFixTheClock() {
    var lastYear = new KeyReadiness(Clock.fixed(Instant.now().minus(Duration.ofDays(365)), ZoneOffset.UTC));

    assertThat(lastYear.inspect(alice.publicKeyFile()).get(0).problem().orElseThrow().message())
        .contains("after this machine's clock");
  }

  @Test
  void aMissingOrGarbageFileIsAUsageError(@TempDir Path dir) throws IOException {
    Path garbage = Files.write(dir.resolve("garbage"), SeededInputStream.bytes(11, 4096));
    Path empty = Files.write(dir.resolve("empty"), new byte[0]);

    for (Path file : new Path[] {dir.resolve("missing.asc"), garbage, empty, dir}) {
      assertThatThrownBy(() -> readiness.inspect(file)).as(file.toString())
          .isInstanceOfSatisfying(HoldfastException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
            assertThat(e.getMessage()).contains(file.toString());
            assertThat(e.hint()).contains("gpg --export --armor KEYID > pub.asc");
          });
    }
  }
}
