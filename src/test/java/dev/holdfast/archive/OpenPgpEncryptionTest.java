package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpenPgpEncryptionTest {
  @TempDir static Path keys;
  static GeneratedKey alice;
  static GeneratedKey bob;

  @BeforeAll
  static void makeKeys() throws Exception {
    alice = GeneratedKey.ed25519(keys, "alice");
    bob = GeneratedKey.ed25519(keys, "bob");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 511, 65535, 65536, 65537, 3 * 65536 + 17, 1 << 20})
  void roundTripsAnySizeAcrossPartialPacketBoundaries(int size) throws IOException {
    byte[] data = SeededInputStream.bytes(size, size);
    byte[] encrypted = encrypt(OpenPgpEncryption.toRecipients(List.of(alice.publicKeyFile())), data);

    assertThat(decrypt(OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null), encrypted)).isEqualTo(data);
  }

  @Test
  void eachRecipientAndThePassphraseOpenTheSameArchive() throws IOException {
    byte[] data = SeededInputStream.bytes(7, 200_000);
    var encryption = OpenPgpEncryption.create(
        List.of(alice.publicKeyFile(), bob.publicKeyFile()), "correct horse".toCharArray(), Clock.systemUTC());
    byte[] encrypted = encrypt(encryption, data);

    assertThat(encryption.recipients()).hasSize(2);
    assertThat(decrypt(OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null), encrypted)).isEqualTo(data);
    assertThat(decrypt(OpenPgpDecryption.withSecretKey(bob.secretKeyFile(), null), encrypted)).isEqualTo(data);
    assertThat(decrypt(OpenPgpDecryption.withPassphrase("correct horse".toCharArray()), encrypted)).isEqualTo(data);
  }

  @Test
  void passphraseIsCopiedSoTheCallerMayWipeIt() throws IOException {
    char[] passphrase = "pässwörd".toCharArray();
    var encryption = OpenPgpEncryption.withPassphrase(passphrase);
    java.util.Arrays.fill(passphrase, '\0');
    byte[] data = SeededInputStream.bytes(3, 1000);

    byte[] encrypted = encrypt(encryption, data);

    assertThat(decrypt(OpenPgpDecryption.withPassphrase("pässwörd".toCharArray()), encrypted)).isEqualTo(data);
  }

  @Test
  void closingFinishesTheMessageButLeavesTheUploadOpen() throws IOException {
    var upload = new TrackingOutputStream();
    OutputStream plaintext = OpenPgpEncryption.toRecipients(List.of(alice.publicKeyFile())).encrypt(upload);
    plaintext.write(SeededInputStream.bytes(1, 100_000));
    plaintext.close();
    plaintext.close();

    assertThat(upload.closed).isFalse();
    assertThat(upload.flushed).isTrue();
    assertThatThrownBy(() -> plaintext.write(1)).isInstanceOf(IOException.class);
    // The upload is still usable: the message is complete and more bytes could follow.
    assertThat(decrypt(OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null), upload.toByteArray()))
        .isEqualTo(SeededInputStream.bytes(1, 100_000));
  }

  @Test
  void writesBinaryOpenPgpStartingWithAKeyPacket() throws IOException {
    byte[] encrypted = encrypt(OpenPgpEncryption.toRecipients(List.of(alice.publicKeyFile())), new byte[10]);

    // Binary, not armored: bit 7 set; new-format tag 1 (PKESK) = 0xC1 or old-format 0x84..0x87.
    assertThat(encrypted[0] & 0x80).isNotZero();
    assertThat(new String(encrypted, 0, 5, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotStartWith("-----");
  }

  @Test
  void refusesNothingToEncryptTo() {
    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of()))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE));
    assertThatThrownBy(() -> OpenPgpEncryption.withPassphrase(new char[0]))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE));
  }

  @Test
  void refusesAKeyFileThatIsMissingOrNotAKey(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("nope.asc");
    Path garbage = Files.write(dir.resolve("garbage.asc"), SeededInputStream.bytes(5, 3000));

    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of(missing)))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains(missing.toString()).contains("does not exist");
          assertThat(e.hint()).contains("gpg --export --armor");
        });
    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of(garbage)))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains(garbage.toString());
        });
  }

  @Test
  void refusesASigningOnlyKey() throws Exception {
    GeneratedKey signer = GeneratedKey.signOnly(keys, "signer");

    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of(signer.publicKeyFile())))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains("no subkey for encryption");
          assertThat(e.hint()).contains("gpg --quick-add-key");
        });
  }

  @Test
  void refusesASecretKeyAsRecipient() {
    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of(alice.secretKeyFile())))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains("secret key");
          assertThat(e.hint()).contains("gpg --export --armor");
        });
  }

  static byte[] encrypt(OpenPgpEncryption encryption, byte[] data) throws IOException {
    var out = new ByteArrayOutputStream();
    try (OutputStream plaintext = encryption.encrypt(out)) {
      plaintext.write(data);
    }
    return out.toByteArray();
  }

  static byte[] decrypt(OpenPgpDecryption decryption, byte[] encrypted) throws IOException {
    try (InputStream in = decryption.decrypt(new ByteArrayInputStream(encrypted))) {
      return in.readAllBytes();
    }
  }

  /** Remembers whether it was flushed or closed. */
  static final class TrackingOutputStream extends ByteArrayOutputStream {
    boolean flushed;
    boolean closed;

    @Override
    public void flush() {
      flushed = true;
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
