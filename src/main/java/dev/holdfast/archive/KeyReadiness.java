package dev.holdfast.archive;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPUserId;

/**
 * Tells whether the public keys in a key file can encrypt archives now, and if not, why and how to
 * fix it.
 */
public final class KeyReadiness {
  static final String EXPORT_HINT =
      "export the recipient's public key where it lives: gpg --export --armor KEYID > pub.asc";

  private final Clock clock;

  public KeyReadiness(Clock clock) {
    this.clock = clock;
  }

  /**
   * Reports on every key in the file.
   *
   * @throws HoldfastException (USAGE) when the file is missing, unreadable or holds no OpenPGP key
   */
  public List<KeyReport> inspect(Path publicKeyFile) {
    return evaluate(publicKeyFile).stream().map(Recipient::report).toList();
  }

  /**
   * Reports on every key in the file, failing on the first key that cannot encrypt.
   *
   * @throws HoldfastException (USAGE) naming the file and key, with a hint saying how to fix it
   */
  public List<KeyReport> check(Path publicKeyFile) {
    return recipients(publicKeyFile).stream().map(Recipient::report).toList();
  }

  /** The keys to encrypt to, one per certificate in the file; fails like {@link #check}. */
  List<Recipient> recipients(Path publicKeyFile) {
    List<Recipient> recipients = evaluate(publicKeyFile);
    for (Recipient recipient : recipients) {
      Optional<KeyReport.Problem> problem = recipient.report().problem();
      if (problem.isPresent()) {
        throw new HoldfastException(ExitCode.USAGE,
            "cannot encrypt to key file " + publicKeyFile + ": " + problem.get().message(),
            problem.get().hint());
      }
    }
    return recipients;
  }

  private List<Recipient> evaluate(Path publicKeyFile) {
    Date now = Date.from(clock.instant());
    return KeyFile.read(publicKeyFile, EXPORT_HINT).certificates().stream()
        .map(certificate -> evaluate(certificate, now))
        .toList();
  }

  private static Recipient evaluate(OpenPGPCertificate certificate, Date now) {
    String fingerprint = KeyFile.fingerprint(certificate.getFingerprint());
    Optional<String> userId = userId(certificate, now);
    String label = userId.map(uid -> fingerprint + " (" + uid + ")").orElse(fingerprint);
    Optional<Instant> expires =
        Optional.ofNullable(certificate.getExpirationTime(now)).map(Date::toInstant);
    boolean revoked = certificate.getRevocation(now) != null;
    // gpg encrypts to the newest usable encryption subkey; do the same so both tools agree.
    Optional<OpenPGPComponentKey> subkey = certificate.getEncryptionKeys(now).stream()
        .max(Comparator.comparing(OpenPGPComponentKey::getCreationTime));

    KeyReport.Problem problem = null;
    if (certificate.isSecretKey()) {
      // The point of public-key archives is that the backup host cannot read them back.
      problem = new KeyReport.Problem(
          "key " + label + " is a secret key; archives are encrypted to the public key only",
          "keep the secret key off the backup host and give its public key instead: "
              + "gpg --export --armor " + fingerprint + " > pub.asc");
    } else if (certificate.getPrimaryKey().getCreationTime().after(now)) {
      problem = new KeyReport.Problem(
          "key " + label + " was created " + certificate.getPrimaryKey().getCreationTime().toInstant()
              + ", after this machine's clock (" + now.toInstant() + ")",
          "set the clock right (timedatectl, NTP); keys are not valid before their creation time");
    } else if (revoked) {
      problem = new KeyReport.Problem("key " + label + " is revoked",
          "a revoked key must not be used; encrypt to a current key and export it: "
              + "gpg --export --armor KEYID > pub.asc");
    } else if (expires.isPresent() && !expires.get().isAfter(now.toInstant())) {
      problem = new KeyReport.Problem("key " + label + " expired on " + expires.get(),
          extendHint(fingerprint));
    } else if (subkey.isEmpty() && !hasEncryptionKey(certificate, now)) {
      problem = new KeyReport.Problem(
          "key " + label + " has no subkey for encryption (it can only sign or certify)",
          "add an encryption subkey where the secret key lives: gpg --quick-add-key " + fingerprint
              + " cv25519 encr 2y, then export it again: gpg --export --armor " + fingerprint
              + " > pub.asc");
    } else if (subkey.isEmpty()) {
      problem = new KeyReport.Problem(
          "key " + label + " has no usable encryption subkey: they are expired or revoked",
          "add a new one where the secret key lives: gpg --quick-add-key " + fingerprint
              + " cv25519 encr 2y, or extend the old ones: gpg --quick-set-expire " + fingerprint
              + " 2y '*'; then export it again: gpg --export --armor " + fingerprint + " > pub.asc");
    }
    KeyReport report = new KeyReport(fingerprint, userId,
        certificate.getPrimaryKey().getCreationTime().toInstant(), expires, revoked,
        subkey.map(k -> KeyFile.fingerprint(k.getPGPPublicKey().getFingerprint())),
        Optional.ofNullable(problem));
    return new Recipient(report, subkey.map(OpenPGPComponentKey::getPGPPublicKey).orElse(null));
  }

  private static String extendHint(String fingerprint) {
    // Without '*' gpg extends the primary key only, with it the subkeys only: an expired key needs both.
    return "extend it where the secret key lives: gpg --quick-set-expire " + fingerprint + " 2y && "
        + "gpg --quick-set-expire " + fingerprint + " 2y '*', then export it again: gpg --export --armor "
        + fingerprint + " > pub.asc";
  }

  /** Whether any key is meant for encryption at all, usable now or not (an expired subkey counts). */
  private static boolean hasEncryptionKey(OpenPGPCertificate certificate, Date now) {
    for (OpenPGPComponentKey key : certificate.getKeys()) {
      KeyFlags flags = key.getKeyFlags(now);
      if (flags == null) {
        flags = key.getKeyFlags();
      }
      boolean encrypts = flags == null
          ? key.getPGPPublicKey().isEncryptionKey()
          : (flags.getFlags() & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) != 0;
      if (encrypts) {
        return true;
      }
    }
    return false;
  }

  private static Optional<String> userId(OpenPGPCertificate certificate, Date now) {
    OpenPGPUserId primary = certificate.getPrimaryUserId(now);
    if (primary == null) {
      // An expired or revoked key has no valid user ID, but doctor should still name it.
      primary = certificate.getAllUserIds().stream().findFirst().orElse(null);
    }
    return Optional.ofNullable(primary).map(OpenPGPUserId::getUserId);
  }

  /** A key's report and, when it can encrypt, the (sub)key to encrypt to. */
  record Recipient(KeyReport report, PGPPublicKey encryptionKey) {}
}
