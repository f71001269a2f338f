package dev.holdfast.archive;

import static dev.holdfast.archive.OpenPgpEncryptionTest.decrypt;
import static dev.holdfast.archive.OpenPgpEncryptionTest.encrypt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPApi;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenPgpDecryptionTest {
  @TempDir static Path keys;
  static GeneratedKey alice;
  static GeneratedKey bob;
  static byte[] data;
  static byte[] encrypted;

  @BeforeAll
  static void makeKeysAndMessage() throws Exception {
    alice = GeneratedKey.ed25519(keys, "alice");
    bob = GeneratedKey.ed25519(keys, "bob");
    data = SeededInputStream.bytes(42, 300);
    encrypted = encrypt(OpenPgpEncryption.toRecipients(List.of(alice.publicKeyFile())), data);
  }

  @Test
  void everyFlippedByteIsAnErrorNeverSilentGarbage() {
    var decryption = OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null);
    for (int i = 0; i < encrypted.length; i++) {
      byte[] tampered = encrypted.clone();
      tampered[i] ^= 0x55;
      byte[] out = null;
      Throwable thrown = null;
      try {
        out = decrypt(decryption, tampered);
      } catch (Throwable t) {
        thrown = t;
      }
      int position = i;
      if (thrown == null) {
        assertThat(out).as("byte %d flipped", position).isEqualTo(data);
      } else {
        assertThat(thrown).as("byte %d flipped", position).isInstanceOfSatisfying(HoldfastException.class,
            e -> assertThat(e.exitCode()).isIn(ExitCode.DAMAGED, ExitCode.WRONG_KEY));
      }
    }
  }

  @Test
  void aFlippedPayloadByteFailsAtTheEndOfTheStream() throws IOException {
    byte[] big = SeededInputStream.bytes(9, 1 << 20);
    byte[] message = encrypt(OpenPgpEncryption.toRecipients(List.of(alice.publicKeyFile())), big);
    message[message.length / 2] ^= 0x01;
    var out = new ByteArrayOutputStream();

    Throwable thrown;
    try (InputStream in = OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null)
        .decrypt(new ByteArrayInputStream(message))) {
      thrown = catchThrowable(() -> in.transferTo(out));
    }

    // CFB garbles one block and flips one bit of the next: the rest arrives, the MDC says no.
    assertThat(out.size()).isEqualTo(big.length);
    assertThat(thrown).isInstanceOfSatisfying(HoldfastException.class, e -> {
      assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED);
      assertThat(e.getMessage()).contains("damaged or was modified").contains("MDC");
      assertThat(e.hint()).isNotBlank();
    });
  }

  @Test
  void everyTruncationIsAnError() {
    var decryption = OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null);
    for (int length = 0; length < encrypted.length; length++) {
      byte[] truncated = Arrays.copyOf(encrypted, length);
      int cut = length;
      assertThatThrownBy(() -> decrypt(decryption, truncated)).as("cut at %d", cut)
          .isInstanceOfSatisfying(HoldfastException.class,
              e -> assertThat(e.exitCode()).isIn(ExitCode.DAMAGED, ExitCode.WRONG_KEY));
    }
  }

  @Test
  void garbageAndPlainDataAreNotOpenPgpMessages() throws IOException {
    var decryption = OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null);
    var literalOnly = new ByteArrayOutputStream();
    try (OutputStream out = new PGPLiteralDataGenerator()
        .open(literalOnly, PGPLiteralData.BINARY, "", new Date(), new byte[1024])) {
      out.write(data);
    }

    for (byte[] notEncrypted : List.of(new byte[0], SeededInputStream.bytes(1, 5000),
        "-----BEGIN PGP MESSAGE-----\n\nnot base64\n".getBytes(), literalOnly.toByteArray())) {
      assertThatThrownBy(() -> decrypt(decryption, notEncrypted))
          .isInstanceOfSatisfying(HoldfastException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED);
            assertThat(e.getMessage()).contains("OpenPGP encrypted message");
          });
    }
  }

  @Test
  void refusesMessagesWithoutIntegrityProtection() throws Exception {
    var out = new ByteArrayOutputStream();
    var generator = new PGPEncryptedDataGenerator(
        // Only BC's own engine has the unprotected variant of OpenPGP CFB (RFC 4880 §13.9).
        new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
            .setWithIntegrityPacket(false).setSecureRandom(new SecureRandom()));
    generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(
        alice.key().getEncryptionKeys().get(0).getPGPPublicKey()));
    try (OutputStream enc = generator.open(out, new byte[1024]);
        OutputStream lit = new PGPLiteralDataGenerator()
            .open(enc, PGPLiteralData.BINARY, "", new Date(), new byte[1024])) {
      lit.write(data);
    }

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null), out.toByteArray()))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED);
          assertThat(e.getMessage()).contains("no integrity protection");
        });
  }

  @Test
  void aFailingSourceIsAnIoFailureNotDamage() throws IOException {
    byte[] big = encrypt(OpenPgpEncryption.toRecipients(List.of(alice.publicKeyFile())),
        SeededInputStream.bytes(2, 1 << 20));
    var failure = new IOException("connection reset");
    InputStream source = new FilterInputStream(new ByteArrayInputStream(big)) {
      long read;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (read > big.length / 2) {
          throw failure;
        }
        int n = super.read(b, off, len);
        read += Math.max(n, 0);
        return n;
      }
    };

    try (InputStream in = OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null).decrypt(source)) {
      assertThatThrownBy(() -> in.transferTo(OutputStream.nullOutputStream())).isSameAs(failure);
    }
  }

  @Test
  void neitherReadingNorClosingClosesTheSource() throws IOException {
    var closed = new boolean[1];
    InputStream source = new ByteArrayInputStream(encrypted) {
      @Override
      public void close() {
        closed[0] = true;
      }
    };

    try (InputStream in = OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null).decrypt(source)) {
      assertThat(in.readAllBytes()).isEqualTo(data);
      assertThat(in.read()).isEqualTo(-1);
    }

    assertThat(closed[0]).isFalse();
  }

  @Test
  void theWrongSecretKeyNamesTheKeysOnBothSides() {
    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(bob.secretKeyFile(), null), encrypted))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          String aliceSubkey = KeyFile.keyId(alice.key().getEncryptionKeys().get(0).getKeyIdentifier().getKeyId());
          String bobSubkey = KeyFile.keyId(bob.key().getEncryptionKeys().get(0).getKeyIdentifier().getKeyId());
          assertThat(e.getMessage()).contains(aliceSubkey).contains(bobSubkey).doesNotContain("\n");
          assertThat(e.hint()).contains("gpg --list-secret-keys");
        });
  }

  @Test
  void aPassphraseMessageWithoutThePassphraseOrWithAWrongOne() throws IOException {
    byte[] message = encrypt(OpenPgpEncryption.withPassphrase("right one".toCharArray()), data);

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(alice.secretKeyFile(), null), message))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).contains("a passphrase").contains("no passphrase was given");
        });
    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withPassphrase("wrong one".toCharArray()), message))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).isEqualTo("wrong passphrase for this archive").doesNotContain("wrong one");
        });
  }

  @Test
  void aProtectedSecretKeyNeedsItsPassphrase(@TempDir Path dir) throws Exception {
    OpenPGPKey key = new BcOpenPGPApi().generateKey(4).ed25519x25519Key("Carol <carol@example.org>")
        .build("carol's secret".toCharArray());
    Path pub = Files.writeString(dir.resolve("carol.pub.asc"), key.toCertificate().toAsciiArmoredString());
    Path sec = Files.writeString(dir.resolve("carol.sec.asc"), key.toAsciiArmoredString());
    byte[] message = encrypt(OpenPgpEncryption.toRecipients(List.of(pub)), data);

    assertThat(decrypt(OpenPgpDecryption.withSecretKey(sec, "carol's secret".toCharArray()), message)).isEqualTo(data);
    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(sec, "not carol's".toCharArray()), message))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).startsWith("wrong passphrase for secret key").doesNotContain("not carol's");
        });
    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(sec, null), message))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).contains("protected by a passphrase, and none was given");
        });
  }

  @Test
  void aPublicKeyIsNoSecretKey() {
    assertThatThrownBy(() -> OpenPgpDecryption.withSecretKey(alice.publicKeyFile(), null))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains("holds only public keys");
          assertThat(e.hint()).contains("gpg --export-secret-keys");
        });
  }
}
