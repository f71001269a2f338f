package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway GnuPG home in a test's temporary directory, driving the real {@code gpg} binary in
 * batch mode; passphrases only ever go through files.
 */
final class GnuPgHome implements AutoCloseable {
  static final String GPG = "/usr/bin/gpg";
  private static final long TIMEOUT_SECONDS = 300;

  private final Path home;
  private final Path scratch;
  private int files;

  private GnuPgHome(Path home, Path scratch) {
    this.home = home;
    this.scratch = scratch;
  }

  /** A new, empty home under {@code dir}. */
  static GnuPgHome create(Path dir) throws IOException {
    Path home = Files.createDirectories(dir.resolve("gnupg"));
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    return new GnuPgHome(home, Files.createDirectories(dir.resolve("scratch")));
  }

  /** What one gpg run left behind. */
  record Result(int exitCode, String stdout, String stderr) {}

  /** Runs gpg and fails the test, showing gpg's stderr, unless it exits 0. */
  Result gpg(String... args) throws IOException, InterruptedException {
    Result result = run(args);
    assertThat(result.exitCode())
        .as("gpg %s failed:%n%s", String.join(" ", args), result.stderr())
        .isZero();
    return result;
  }

  /** Runs gpg in batch mode with loopback pinentry (so --passphrase-file works) and returns its outcome. */
  Result run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        GPG, "--homedir", home.toString(), "--batch", "--no-tty", "--yes", "--pinentry-mode", "loopback",
        // Without this, gpg looks an unusable or unknown recipient up by WKD, over the network.
        "--auto-key-locate", "local"));
    command.addAll(List.of(args));
    Path stdout = scratch.resolve("stdout-" + files);
    Path stderr = scratch.resolve("stderr-" + files++);
    Process process = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile())
        .start();
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("gpg " + String.join(" ", args) + " did not finish in " + TIMEOUT_SECONDS + " s");
    }
    return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }

  /** A file holding the passphrase, as --passphrase-file reads it (the first line). */
  Path passphraseFile(String passphrase) throws IOException {
    Path file = scratch.resolve("passphrase-" + files++);
    Files.writeString(file, passphrase, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  /**
   * Generates a key from a gpg parameter block (see "Unattended key generation" in gpg's manual)
   * and returns its primary fingerprint.
   *
   * @param passphrase null for %no-protection
   * @param extraArgs e.g. {@code --faked-system-time 20200101T000000}
   */
  String generateKey(String email, String parameters, String passphrase, String... extraArgs)
      throws IOException, InterruptedException {
    String protection = passphrase == null ? "%no-protection\n" : "Passphrase: " + passphrase + "\n";
    Path parameterFile = scratch.resolve("key-" + files++);
    Files.writeString(parameterFile,
        parameters + "Name-Email: " + email + "\n" + protection + "%commit\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(parameterFile, PosixFilePermissions.fromString("rw-------"));
    List<String> args = new ArrayList<>(List.of(extraArgs));
    args.addAll(List.of("--gen-key", parameterFile.toString()));
    gpg(args.toArray(String[]::new));
    return fingerprints(email).get(0);
  }

  /** Fingerprints of the key's primary and subkeys, primary first, as gpg lists them. */
  List<String> fingerprints(String email) throws IOException, InterruptedException {
    List<String> fingerprints = new ArrayList<>();
    for (String line : gpg("--with-colons", "--list-keys", email).stdout().split("\n")) {
      if (line.startsWith("fpr:")) {
        fingerprints.add(line.split(":")[9]);
      }
    }
    return fingerprints;
  }

  /** Revokes the key with the revocation certificate gpg made when generating it. */
  void revoke(String fingerprint) throws IOException, InterruptedException {
    String certificate = Files.readString(home.resolve("openpgp-revocs.d").resolve(fingerprint + ".rev"));
    // gpg stores it defused: a colon before the armor line keeps an accidental import from revoking.
    Path defused = scratch.resolve("revocation-" + files++);
    Files.writeString(defused, certificate.replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    gpg("--import", defused.toString());
  }

  /** Stops the gpg-agent that gpg started for this home. */
  @Override
  public void close() throws IOException {
    Process process = new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
