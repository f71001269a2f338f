package dev.holdfast.job;

import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.source.Source;
import dev.holdfast.verify.VerifyLevel;
import java.time.Duration;
import java.util.List;

/**
 * A resolved job, ready to run: what to back up, where, in which format, the hooks around it, and
 * what the lifecycle does after the backup.
 *
 * @param target the target URL or path, as the user wrote it (for messages and records)
 * @param verify verification after each backup, or null for none
 * @param offsite targets that receive a copy of each backup
 * @param maxAge the newest backup older than this makes the job stale
 * @param verifyKey opens the job's encrypted archives for its verify step, or null
 */
public record Job(
    String name,
    List<Source> sources,
    String target,
    ArchiveSettings archive,
    Hooks hooks,
    VerifyLevel verify,
    List<String> offsite,
    Duration maxAge,
    List<String> tags,
    OpenPgpDecryption verifyKey) {

  public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(25);

  /** An ad-hoc job: no lifecycle steps after the backup. */
  public static Job adHoc(String name, List<Source> sources, String target, ArchiveSettings archive) {
    return new Job(name, sources, target, archive, Hooks.none(), null, List.of(), DEFAULT_MAX_AGE, List.of(), null);
  }
}
