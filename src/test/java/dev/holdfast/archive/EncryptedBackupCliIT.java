package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted backups end to end from the CLI, judged by the real gpg and tar: our archives open
 * with {@code gpg --decrypt | tar -xz}; archives made by {@code tar -cz | gpg --encrypt} and by
 * {@code gpg --symmetric} restore with Holdfast; no plaintext reaches the disk; tampering and
 * wrong or missing keys give the documented exit codes.
 */
class EncryptedBackupCliIT {
  static final String KEY = """
      Key-Type: eddsa
      Key-Curve: ed25519
      Key-Usage: sign
      Subkey-Type: ecdh
      Subkey-Curve: cv25519
      Subkey-Usage: encrypt
      Name-Real: Backup
      Expire-Date: 0
      """;
  private static final String MARKER = "PLAINTEXT-MARKER-7f3a";

  @TempDir static Path dir;
  private static GnuPgHome gpg;
  private static Path pub;
  private static Path sec;
  private static Path src;

  @BeforeAll
  static void setUp() throws Exception {
    gpg = GnuPgHome.create(dir.resolve("gnupg"));
    String fpr = gpg.generateKey("backup@example.org", KEY, null);
    pub = dir.resolve("pub.asc");
    sec = dir.resolve("sec.asc");
    assertThat(gpg.gpg("--output", pub.toString(), "--export", "--armor", fpr).exitCode()).isZero();
    assertThat(gpg.gpg("--output", sec.toString(), "--export-secret-keys", "--armor", fpr).exitCode()).isZero();
    src = Files.createDirectories(dir.resolve("src/secret-project"));
    Files.writeString(src.resolve("diary-" + MARKER + ".txt"), (MARKER + " dear diary\n").repeat(5000));
    byte[] bin = new byte[2_000_000];
    new Random(9).nextBytes(bin);
    Files.write(src.resolve("db.bin"), bin);
  }

  @AfterAll
  static void tearDown() throws Exception {
    gpg.close();
  }

  private static boolean containsMarker(Path root) throws IOException {
    byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        if (p.getFileName().toString().contains(MARKER) || indexOf(Files.readAllBytes(p), marker) >= 0) {
          return true;
        }
      }
    }
    return false;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  record ShellResult(int exitCode, String stderr) {}

  /** Runs a shell pipeline with gpg and tar, the way a user restores by hand. */
  private static ShellResult sh(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("/bin/sh", "-c", command)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new ShellResult(p.waitFor(), err);
  }

  private static Path only(Path target, String suffix) throws IOException {
    try (Stream<Path> s = Files.walk(target)) {
      return s.filter(p -> p.toString().endsWith(suffix)).findFirst().orElseThrow();
    }
  }

  @Test
  void gpgAndTarOpenOurArchiveAndNoPlaintextTouchesDisk() throws Exception {
    Path target = dir.resolve("t-pub");
    Cli cli = new Cli(dir.resolve("state-pub"));
    Cli.Result r = cli.run("backup", "--to", target.toString(), "--recipient-file", pub.toString(), src.toString());
    assertThat(r.exitCode()).as(r.all()).isZero();
    // neither the target (archive, sidecars, manifest) nor the state dir holds a plaintext byte or name
    assertThat(containsMarker(target)).isFalse();
    assertThat(containsMarker(dir.resolve("state-pub"))).isFalse();

    Path archive = only(target, ".tar.gz.gpg");
    Path out = Files.createDirectories(dir.resolve("gpg-out"));
    ShellResult dec = sh( GnuPgHome.GPG + " --homedir " + dir.resolve("gnupg").resolve("gnupg")
        + " --batch --decrypt '" + archive + "' | tar -xzf - -C '" + out + "'");
    assertThat(dec.exitCode()).as(dec.stderr()).isZero();
    Trees.assertSameTree(src, out.resolve(src.toString().substring(1)));

    assertThat(cli.run("verify", "--from", target.toString(), "--identity", sec.toString()).exitCode()).isZero();
    Path restored = dir.resolve("restored-pub");
    assertThat(cli.run("restore", "--from", target.toString(), "--identity", sec.toString(),
        "--target", restored.toString()).exitCode()).isZero();
    Trees.assertSameTree(src, restored.resolve(src.toString().substring(1)));
  }

  @Test
  void passphraseModeRoundTripsThroughGpg() throws Exception {
    Path pass = Files.writeString(dir.resolve("pass"), "correct horse battery staple\n");
    Path target = dir.resolve("t-sym");
    Cli cli = new Cli(dir.resolve("state-sym"));
    assertThat(cli.run("backup", "--to", target.toString(), "--passphrase-file", pass.toString(),
        "--compression", "zstd", src.toString()).exitCode()).isZero();
    Path archive = only(target, ".tar.zst.gpg");
    Path out = Files.createDirectories(dir.resolve("sym-out"));
    ShellResult dec = sh( GnuPgHome.GPG + " --homedir " + dir.resolve("gnupg").resolve("gnupg")
        + " --batch --pinentry-mode loopback --passphrase-file '" + pass + "' --decrypt '" + archive
        + "' | tar --zstd -xf - -C '" + out + "'");
    assertThat(dec.exitCode()).as(dec.stderr()).isZero();
    Trees.assertSameTree(src, out.resolve(src.toString().substring(1)));

    Path wrong = Files.writeString(dir.resolve("wrong"), "nope\n");
    Cli.Result bad = cli.run("restore", "--from", target.toString(), "--passphrase-file", wrong.toString(),
        "--target", dir.resolve("never").toString());
    assertThat(bad.exitCode()).as(bad.all()).isEqualTo(12);
    assertThat(bad.err()).startsWith("error: ").doesNotContain("nope");
    Cli.Result none = cli.run("restore", "--from", target.toString(), "--target", dir.resolve("never").toString());
    assertThat(none.exitCode()).isEqualTo(12);
    assertThat(dir.resolve("never/secret-project")).doesNotExist();
  }

  @Test
  void passphraseFromTheEnvironmentBothWaysAndAWrongSecretKeyIsExit12() throws Exception {
    String secret = "env passphrase 4 holdfast";
    Path target = dir.resolve("t-env");
    Cli cli = new Cli(dir.resolve("state-env")).env("BACKUP_PASS", secret);
    Cli.Result b = cli.run("backup", "--to", target.toString(), "--passphrase-env", "BACKUP_PASS", src.toString());
    assertThat(b.exitCode()).as(b.all()).isZero();
    Path archive = only(target, ".tar.gz.gpg");
    Path passFile = Files.writeString(dir.resolve("env-pass"), secret + "\n");
    Path out = Files.createDirectories(dir.resolve("env-out"));
    ShellResult dec = sh(GnuPgHome.GPG + " --homedir " + dir.resolve("gnupg").resolve("gnupg")
        + " --batch --pinentry-mode loopback --passphrase-file '" + passFile + "' --decrypt '" + archive
        + "' | tar -xzf - -C '" + out + "'");
    assertThat(dec.exitCode()).as(dec.stderr()).isZero();
    Trees.assertSameTree(src, out.resolve(src.toString().substring(1)));

    // restore and verify read HOLDFAST_PASSPHRASE
    Cli reader = new Cli(dir.resolve("state-env")).env("HOLDFAST_PASSPHRASE", secret);
    assertThat(reader.run("verify", "--from", target.toString(), "--level", "full").exitCode()).isZero();
    Path restored = dir.resolve("env-restored");
    Cli.Result r = reader.run("restore", "--from", target.toString(), "--target", restored.toString());
    assertThat(r.exitCode()).as(r.all()).isZero();
    Trees.assertSameTree(src, restored.resolve(src.toString().substring(1)));

    Cli.Result unset = new Cli(dir.resolve("state-env")).run("backup", "--to", target.toString(),
        "--passphrase-env", "NOT_SET_ANYWHERE", src.toString());
    assertThat(unset.exitCode()).isEqualTo(2);
    assertThat(unset.err()).contains("NOT_SET_ANYWHERE").contains("is not set");

    // an archive for our recipient, opened with somebody else's secret key
    Path pubTarget = dir.resolve("t-pub-wrongkey");
    assertThat(cli.run("backup", "--to", pubTarget.toString(), "--recipient-file", pub.toString(), src.toString())
        .exitCode()).isZero();
    GeneratedKey other = GeneratedKey.ed25519(dir, "other");
    Cli.Result wrongKey = cli.run("verify", "--from", pubTarget.toString(), "--level", "full",
        "--identity", other.secretKeyFile().toString());
    assertThat(wrongKey.exitCode()).as(wrongKey.all()).isEqualTo(12);
    assertThat(wrongKey.err()).startsWith("error: ").doesNotContain("Exception");
    Cli.Result wrongRestore = cli.run("restore", "--from", pubTarget.toString(), "--identity",
        other.secretKeyFile().toString(), "--target", dir.resolve("never-wrongkey").toString());
    assertThat(wrongRestore.exitCode()).as(wrongRestore.all()).isEqualTo(12);
    assertThat(dir.resolve("never-wrongkey/secret-project")).doesNotExist();
  }

  @Test
  void weRestoreArchivesMadeByTarAndGpg() throws Exception {
    Path target = Files.createDirectories(dir.resolve("t-seed/backups"));
    Path pass = Files.writeString(dir.resolve("seedpass"), "seed-pass\n");
    String parent = src.getParent().toString();
    // seed 003: tar | gpg --encrypt --recipient, and a symmetric one, with gpg's default compression
    ShellResult e1 = sh( "tar -czf - -C '" + parent + "' secret-project | " + GnuPgHome.GPG
        + " --homedir " + dir.resolve("gnupg").resolve("gnupg") + " --batch --trust-model always --encrypt --recipient backup@example.org"
        + " --output '" + target.resolve("2025-06-12_0200-backup.tar.gz.gpg") + "'");
    assertThat(e1.exitCode()).as(e1.stderr()).isZero();
    ShellResult e2 = sh( "tar -czf - -C '" + parent + "' secret-project | " + GnuPgHome.GPG
        + " --homedir " + dir.resolve("gnupg").resolve("gnupg") + " --batch --pinentry-mode loopback --passphrase-file '" + pass
        + "' --symmetric --output '" + target.resolve("2025-06-13_0200-backup.tar.gz.gpg") + "'");
    assertThat(e2.exitCode()).as(e2.stderr()).isZero();

    Cli cli = new Cli(dir.resolve("state-seed"));
    Path r1 = dir.resolve("seed-r1");
    Cli.Result a = cli.run("restore", "--from", target.getParent().toString(), "2025-06-12_0200",
        "--identity", sec.toString(), "--target", r1.toString());
    assertThat(a.exitCode()).as(a.all()).isZero();
    Trees.assertSameTree(src, r1.resolve("secret-project"));
    Path r2 = dir.resolve("seed-r2");
    Cli.Result b = cli.run("restore", "--from", target.getParent().toString(), "latest",
        "--passphrase-file", pass.toString(), "--target", r2.toString());
    assertThat(b.exitCode()).as(b.all()).isZero();
    Trees.assertSameTree(src, r2.resolve("secret-project"));
  }

  @Test
  void tamperingIsDetectedWithAndWithoutTheKey() throws Exception {
    Path target = dir.resolve("t-tamper");
    Cli cli = new Cli(dir.resolve("state-tamper"));
    assertThat(cli.run("backup", "--to", target.toString(), "--recipient-file", pub.toString(), src.toString())
        .exitCode()).isZero();
    Path archive = only(target, ".tar.gz.gpg");
    byte[] b = Files.readAllBytes(archive);
    b[b.length / 2] ^= 0x40;
    Files.write(archive, b);
    assertThat(cli.run("verify", "--from", target.toString()).exitCode()).isEqualTo(4);
    Cli.Result withKey = cli.run("verify", "--from", target.toString(), "--identity", sec.toString());
    assertThat(withKey.exitCode()).as(withKey.all()).isEqualTo(4);
    Cli.Result restore = cli.run("restore", "--from", target.toString(), "--identity", sec.toString(),
        "--target", dir.resolve("tampered-restore").toString());
    assertThat(restore.exitCode()).as(restore.all()).isEqualTo(4);
    assertThat(dir.resolve("tampered-restore").resolve(src.toString().substring(1))).doesNotExist();
  }

  @Test
  void requiredEncryptionWithAMissingKeyFailsBeforeReadingData() throws Exception {
    Path config = dir.resolve("enc.yaml");
    Path marker = dir.resolve("hook-ran");
    Files.writeString(config, """
        jobs:
          secret:
            sources: [%s]
            target: %s
            encryption:
              recipients: [%s]
            hooks:
              before: ["touch %s"]
        """.formatted(src, dir.resolve("t-missing"), dir.resolve("no-such-key.asc"), marker));
    Cli.Result r = new Cli(dir.resolve("state-missing")).run("--config", config.toString(), "backup", "secret");
    assertThat(r.exitCode()).as(r.all()).isEqualTo(2);
    assertThat(r.err()).contains("no-such-key.asc").contains("hint:");
    assertThat(marker).as("nothing ran: not even the before hook").doesNotExist();
    assertThat(dir.resolve("t-missing")).doesNotExist();
  }
}
