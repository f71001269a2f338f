package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Holdfast's OpenPGP against the real gpg 2.2, both ways, with keys gpg generated. */
class OpenPgpGpgInteropIT {
  private static final String ED25519 = """
      Key-Type: eddsa
      Key-Curve: ed25519
      Key-Usage: sign
      Subkey-Type: ecdh
      Subkey-Curve: cv25519
      Subkey-Usage: encrypt
      """;
  private static final String RSA = """
      Key-Type: RSA
      Key-Length: 2048
      Key-Usage: sign
      Subkey-Type: RSA
      Subkey-Length: 2048
      Subkey-Usage: encrypt
      """;
  private static final String RSA_SIGN_ONLY = """
      Key-Type: RSA
      Key-Length: 2048
      Key-Usage: sign
      """;
  private static final String ALICE_KEY_PASSPHRASE = "alice's kéy pässphrase";
  private static final String ARCHIVE_PASSPHRASE = "archive pässwörd ✓";

  @TempDir static Path dir;
  static GnuPgHome keys;
  static GnuPgHome bare;
  static Path alicePassphrase;
  static Path archivePassphrase;
  static String alice;
  static String bob;
  static String signer;
  static String expired;
  static Path alicePub;
  static Path aliceSec;
  static Path bobPub;
  static Path bobSec;
  static Path signerPub;
  static Path expiredPub;
  static Path revokedPub;
  static byte[] data;

  @BeforeAll
  static void generateKeys() throws Exception {
    keys = GnuPgHome.create(dir.resolve("keys"));
    bare = GnuPgHome.create(dir.resolve("bare"));
    alicePassphrase = keys.passphraseFile(ALICE_KEY_PASSPHRASE);
    archivePassphrase = keys.passphraseFile(ARCHIVE_PASSPHRASE);

    alice = keys.generateKey("alice@example.org", ED25519 + "Name-Real: Alice\nExpire-Date: 0\n", ALICE_KEY_PASSPHRASE);
    bob = keys.generateKey("bob@example.org", RSA + "Name-Real: Bob\nExpire-Date: 0\n", null);
    signer = keys.generateKey("signer@example.org", RSA_SIGN_ONLY + "Name-Real: Signer\nExpire-Date: 0\n", null);
    expired = keys.generateKey("expired@example.org", ED25519 + "Name-Real: Expired\nExpire-Date: 1d\n", null,
        "--faked-system-time", "20200101T000000");
    String revoked = keys.generateKey("revoked@example.org", ED25519 + "Name-Real: Revoked\nExpire-Date: 0\n", null);
    keys.revoke(revoked);

    alicePub = export("alice.asc", "--export", "--armor", alice);
    aliceSec = export("alice-secret.asc",
        "--passphrase-file", alicePassphrase.toString(), "--export-secret-keys", "--armor", alice);
    bobPub = export("bob.gpg", "--export", bob);
    bobSec = export("bob-secret.gpg", "--export-secret-keys", bob);
    signerPub = export("signer.asc", "--export", "--armor", "signer@example.org");
    expiredPub = export("expired.asc", "--export", "--armor", "expired@example.org");
    revokedPub = export("revoked.asc", "--export", "--armor", "revoked@example.org");

    // Half random, half text, so gpg's default compression has something to do.
    var payload = new ByteArrayOutputStream();
    payload.write(SeededInputStream.bytes(2026, 700_000));
    for (int i = 0; payload.size() < 1_400_000; i++) {
      payload.write(("line " + i + ": the quick brown fox jumps over the lazy dog\n").getBytes(StandardCharsets.UTF_8));
    }
    data = payload.toByteArray();
  }

  @AfterAll
  static void stopAgents() throws Exception {
    keys.close();
    bare.close();
  }

  private static Path export(String name, String... args) throws Exception {
    Path file = dir.resolve(name);
    var command = new java.util.ArrayList<>(List.of("--output", file.toString()));
    command.addAll(List.of(args));
    keys.gpg(command.toArray(String[]::new));
    return file;
  }

  // --- ours -> gpg --decrypt

  @ParameterizedTest
  @ValueSource(strings = {"alice (cv25519, armored key)", "bob (RSA, binary key)"})
  void gpgDecryptsWhatWeEncryptToAPublicKey(String who) throws Exception {
    Path pub = who.startsWith("alice") ? alicePub : bobPub;
    Path archive = write("to-key.gpg", OpenPgpEncryptionTest.encrypt(OpenPgpEncryption.toRecipients(List.of(pub)), data));

    assertThat(gpgDecrypt(keys, archive, alicePassphrase)).isEqualTo(data);
    String packets = keys.gpg("--passphrase-file", alicePassphrase.toString(), "--list-packets", archive.toString()).stdout();
    assertThat(packets).contains(":pubkey enc packet: version 3").contains("mdc_method: 2")
        .doesNotContain("compressed packet");
  }

  @Test
  void gpgDecryptsWhatWeEncryptWithAPassphrase() throws Exception {
    Path archive = write("with-passphrase.gpg", OpenPgpEncryptionTest.encrypt(
        OpenPgpEncryption.withPassphrase(ARCHIVE_PASSPHRASE.toCharArray()), data));

    assertThat(gpgDecrypt(bare, archive, archivePassphrase)).isEqualTo(data);
    String packets = bare.gpg("--passphrase-file", archivePassphrase.toString(), "--list-packets", archive.toString()).stdout();
    assertThat(packets).contains(":symkey enc packet: version 4, cipher 9").contains("s2k 3, hash 8")
        .contains("mdc_method: 2");
  }

  @Test
  void gpgDecryptsAKeyAndPassphraseArchiveWithEither() throws Exception {
    Path archive = write("both.gpg", OpenPgpEncryptionTest.encrypt(OpenPgpEncryption.create(
        List.of(alicePub, bobPub), ARCHIVE_PASSPHRASE.toCharArray(), Clock.systemUTC()), data));

    assertThat(gpgDecrypt(keys, archive, alicePassphrase)).isEqualTo(data);
    assertThat(gpgDecrypt(bare, archive, archivePassphrase)).isEqualTo(data);
  }

  // --- gpg --encrypt / --symmetric -> ours

  @ParameterizedTest
  @ValueSource(strings = {"default", "armor", "no-compression", "throw-keyids", "sign"})
  void weDecryptWhatGpgEncryptsToAlice(String variant) throws Exception {
    Path plain = write("plain", data);
    Path archive = dir.resolve("gpg-" + variant + ".gpg");
    var args = new java.util.ArrayList<>(List.of("--trust-model", "always", "--output", archive.toString()));
    switch (variant) {
      case "armor" -> args.add("--armor");
      case "no-compression" -> args.addAll(List.of("-z", "0"));
      case "throw-keyids" -> args.add("--throw-keyids");
      case "sign" -> args.addAll(List.of("--passphrase-file", bobSecretIsUnprotected(), "--sign", "--local-user", bob));
      default -> { }
    }
    args.addAll(List.of("--recipient", alice, "--encrypt", plain.toString()));
    keys.gpg(args.toArray(String[]::new));

    assertThat(decrypt(OpenPgpDecryption.withSecretKey(aliceSec, ALICE_KEY_PASSPHRASE.toCharArray()), archive))
        .isEqualTo(data);
    if (variant.equals("default")) {
      // The point of this case: gpg compressed it (ZLIB), and we undid that.
      assertThat(keys.gpg("--passphrase-file", alicePassphrase.toString(), "--list-packets", archive.toString())
          .stdout()).contains("compressed packet: algo=2");
    }
  }

  @Test
  void weDecryptWhatGpgEncryptsToAnRsaKey() throws Exception {
    Path archive = dir.resolve("gpg-to-bob.gpg");
    keys.gpg("--trust-model", "always", "--output", archive.toString(), "--recipient", bob,
        "--encrypt", write("plain", data).toString());

    assertThat(decrypt(OpenPgpDecryption.withSecretKey(bobSec, null), archive)).isEqualTo(data);
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "armor", "aes128", "sha512"})
  void weDecryptWhatGpgEncryptsWithAPassphrase(String variant) throws Exception {
    Path archive = dir.resolve("gpg-symmetric-" + variant + ".gpg");
    var args = new java.util.ArrayList<>(List.of("--passphrase-file", archivePassphrase.toString(),
        "--output", archive.toString()));
    switch (variant) {
      case "armor" -> args.add("--armor");
      case "aes128" -> args.addAll(List.of("--cipher-algo", "AES"));
      case "sha512" -> args.addAll(List.of("--s2k-digest-algo", "SHA512"));
      default -> { }
    }
    args.addAll(List.of("--symmetric", write("plain", data).toString()));
    bare.gpg(args.toArray(String[]::new));

    assertThat(decrypt(OpenPgpDecryption.withPassphrase(ARCHIVE_PASSPHRASE.toCharArray()), archive)).isEqualTo(data);
    if (variant.equals("default")) {
      assertThat(bare.gpg("--passphrase-file", archivePassphrase.toString(), "--list-packets", archive.toString())
          .stdout()).contains("compressed packet: algo=1");
    }
  }

  // --- damage

  @Test
  void aFlippedByteInOurArchiveIsCaughtByUsAndByGpg() throws Exception {
    byte[] archive = OpenPgpEncryptionTest.encrypt(OpenPgpEncryption.toRecipients(List.of(bobPub)), data);
    archive[archive.length / 2] ^= 0x20;
    Path tampered = write("tampered.gpg", archive);

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(bobSec, null), tampered))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED);
          assertThat(e.getMessage()).contains("MDC");
        });
    GnuPgHome.Result gpg = keys.run("--output", dir.resolve("tampered.out").toString(), "--decrypt", tampered.toString());
    assertThat(gpg.exitCode()).isEqualTo(2);
    assertThat(gpg.stderr()).contains("manipulated");
  }

  @Test
  void aFlippedByteInACompressedGpgArchiveIsCaught() throws Exception {
    Path archive = dir.resolve("gpg-compressed.gpg");
    keys.gpg("--trust-model", "always", "--output", archive.toString(), "--recipient", bob,
        "--encrypt", write("plain", data).toString());
    byte[] bytes = Files.readAllBytes(archive);
    bytes[bytes.length / 2] ^= 0x20;
    Path tampered = write("gpg-compressed-tampered.gpg", bytes);

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(bobSec, null), tampered))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED));
  }

  @Test
  void aTruncatedGpgArchiveIsCaught() throws Exception {
    Path archive = dir.resolve("gpg-truncated-source.gpg");
    bare.gpg("--passphrase-file", archivePassphrase.toString(), "--output", archive.toString(),
        "-z", "0", "--symmetric", write("plain", data).toString());
    byte[] bytes = Files.readAllBytes(archive);
    Path truncated = write("gpg-truncated.gpg", java.util.Arrays.copyOf(bytes, bytes.length - 1000));

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withPassphrase(ARCHIVE_PASSPHRASE.toCharArray()), truncated))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED);
          assertThat(e.getMessage()).contains("truncated");
        });
  }

  @Test
  void weDecryptWithOnlyTheEncryptionSubkeyExported() throws Exception {
    // A restore host may hold only the encryption subkey; gpg then writes the primary as a stub.
    String subkey = keys.fingerprints("alice@example.org").get(1);
    Path subkeyOnly = export("alice-subkey.asc", "--passphrase-file", alicePassphrase.toString(),
        "--export-secret-subkeys", "--armor", subkey + "!");
    Path archive = write("to-alice-for-subkey.gpg",
        OpenPgpEncryptionTest.encrypt(OpenPgpEncryption.toRecipients(List.of(alicePub)), data));

    assertThat(decrypt(OpenPgpDecryption.withSecretKey(subkeyOnly, ALICE_KEY_PASSPHRASE.toCharArray()), archive))
        .isEqualTo(data);
  }

  // --- wrong key, wrong passphrase

  @Test
  void aSecretKeyFileWithoutTheEncryptionSubkey() throws Exception {
    Path primaryOnly = export("alice-primary.asc", "--passphrase-file", alicePassphrase.toString(),
        "--export-secret-keys", "--armor", alice + "!");
    Path archive = write("to-alice-for-primary.gpg",
        OpenPgpEncryptionTest.encrypt(OpenPgpEncryption.toRecipients(List.of(alicePub)), data));
    String subkeyId = keys.fingerprints("alice@example.org").get(1).substring(24);

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(primaryOnly, ALICE_KEY_PASSPHRASE.toCharArray()), archive))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).contains("encrypted to key ID " + subkeyId)
              .contains("holds key IDs " + alice.substring(24));
        });
  }

  @Test
  void aWrongPassphraseForAGpgSymmetricArchive() throws Exception {
    Path archive = dir.resolve("gpg-symmetric-wrong.gpg");
    bare.gpg("--passphrase-file", archivePassphrase.toString(), "--output", archive.toString(),
        "--symmetric", write("plain", data).toString());

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withPassphrase("not it".toCharArray()), archive))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).isEqualTo("wrong passphrase for this archive");
          assertThat(e.hint()).isNotBlank();
        });
  }

  @Test
  void theWrongSecretKeyForAGpgArchive() throws Exception {
    Path archive = dir.resolve("gpg-to-bob-only.gpg");
    keys.gpg("--trust-model", "always", "--output", archive.toString(), "--recipient", bob,
        "--encrypt", write("plain", data).toString());
    String bobSubkeyId = keys.fingerprints("bob@example.org").get(1).substring(24);

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(aliceSec, ALICE_KEY_PASSPHRASE.toCharArray()), archive))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).contains("no configured key opens this archive").contains(bobSubkeyId)
              .doesNotContain("\n");
          assertThat(e.hint()).contains("gpg --list-secret-keys");
        });
  }

  @Test
  void theWrongPassphraseForAGpgSecretKey() throws Exception {
    Path archive = write("to-alice.gpg", OpenPgpEncryptionTest.encrypt(OpenPgpEncryption.toRecipients(List.of(alicePub)), data));

    assertThatThrownBy(() -> decrypt(OpenPgpDecryption.withSecretKey(aliceSec, "guess".toCharArray()), archive))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
          assertThat(e.getMessage()).startsWith("wrong passphrase for secret key").contains(aliceSec.toString())
              .doesNotContain("guess").doesNotContain(ALICE_KEY_PASSPHRASE);
        });
  }

  // --- keys gpg would not encrypt to either

  @Test
  void keyReadinessAgreesWithGpg() throws Exception {
    List<String> aliceFingerprints = keys.fingerprints("alice@example.org");
    KeyReport report = new KeyReadiness(Clock.systemUTC()).check(alicePub).get(0);

    assertThat(report.fingerprint()).isEqualTo(alice).isEqualTo(aliceFingerprints.get(0));
    assertThat(report.userId()).contains("Alice <alice@example.org>");
    assertThat(report.encryptionSubkey()).contains(aliceFingerprints.get(1));
    assertThat(report.expires()).isEmpty();
    assertThat(report.canEncrypt()).isTrue();
  }

  @Test
  void anExpiredKeyIsRefused() throws Exception {
    KeyReport report = new KeyReadiness(Clock.systemUTC()).inspect(expiredPub).get(0);
    assertThat(report.expires()).contains(Instant.parse("2020-01-02T00:00:00Z"));
    assertThat(report.canEncrypt()).isFalse();

    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of(expiredPub)))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains(expiredPub.toString()).contains("expired on 2020-01-02");
          assertThat(e.hint()).contains("gpg --quick-set-expire " + report.fingerprint());
        });
    assertThat(keys.run("--trust-model", "always", "--recipient", expired, "--encrypt",
        write("plain", data).toString()).stderr()).contains("Unusable public key");
  }

  @Test
  void aSigningOnlyKeyIsRefused() throws Exception {
    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of(signerPub)))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains("no subkey for encryption");
          assertThat(e.hint()).contains("gpg --quick-add-key");
        });
    assertThat(keys.run("--trust-model", "always", "--recipient", signer, "--encrypt",
        write("plain", data).toString()).stderr()).contains("Unusable public key");
  }

  @Test
  void aRevokedKeyIsRefused() {
    assertThatThrownBy(() -> OpenPgpEncryption.toRecipients(List.of(revokedPub)))
        .isInstanceOfSatisfying(HoldfastException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
          assertThat(e.getMessage()).contains("is revoked");
        });
  }

  private static String bobSecretIsUnprotected() throws IOException {
    // gpg wants a passphrase source in loopback mode even for an unprotected key.
    return keys.passphraseFile("").toString();
  }

  private static byte[] gpgDecrypt(GnuPgHome home, Path archive, Path passphrase) throws Exception {
    Path out = dir.resolve(archive.getFileName() + ".out");
    home.gpg("--passphrase-file", passphrase.toString(), "--output", out.toString(), "--decrypt", archive.toString());
    return Files.readAllBytes(out);
  }

  private static byte[] decrypt(OpenPgpDecryption decryption, Path archive) throws IOException {
    try (InputStream file = Files.newInputStream(archive); InputStream in = decryption.decrypt(file)) {
      return in.readAllBytes();
    }
  }

  private static Path write(String name, byte[] bytes) throws IOException {
    Path file = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(bytes);
    }
    return file;
  }
}
