package dev.holdfast.archive;

import java.time.Instant;
import java.util.Optional;

/**
 * What one OpenPGP public key can do for encrypting archives, as {@code doctor} shows it.
 *
 * @param fingerprint the primary key's fingerprint, upper-case hex (gpg's spelling)
 * @param userId the primary user ID, if the key has one
 * @param created when the primary key was made
 * @param expires when the key expires; empty for never
 * @param revoked whether the key's owner revoked it
 * @param encryptionSubkey fingerprint of the (sub)key archives are encrypted to; empty when none is usable
 * @param problem why archives cannot be encrypted to this key; empty when they can
 */
public record KeyReport(
    String fingerprint,
    Optional<String> userId,
    Instant created,
    Optional<Instant> expires,
    boolean revoked,
    Optional<String> encryptionSubkey,
    Optional<Problem> problem) {

  /** A reason the key cannot be used, and how to fix it. */
  public record Problem(String message, String hint) {}

  public boolean canEncrypt() {
    return problem.isEmpty();
  }

  /** The fingerprint with the user ID, as messages name the key. */
  public String label() {
    return userId.map(uid -> fingerprint + " (" + uid + ")").orElse(fingerprint);
  }
}
