package dev.holdfast.mirror;

import dev.holdfast.job.Hooks;
import java.time.Duration;

/**
 * A named mirror run: what to sync, and the mount the destination needs (or null).
 *
 * @param target the destination as the user wrote it (for messages and records)
 * @param maxAge how long the destination may be absent (skipped runs) before a skip counts as a failure
 * @param hooks commands run before the mirror (before the mount check, so one may mount the drive),
 *     after it succeeded or was skipped, and after it failed; dry runs run none
 */
public record MirrorJob(
    String name, MirrorRequest request, String target, MountRequirement mount, Duration maxAge, Hooks hooks) {

  /** A job without hooks (the ad-hoc {@code holdfast mirror}). */
  public MirrorJob(String name, MirrorRequest request, String target, MountRequirement mount, Duration maxAge) {
    this(name, request, target, mount, maxAge, Hooks.none());
  }
}
