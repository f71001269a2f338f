package dev.holdfast.job;

import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.retention.RetentionPolicy;
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
 * @param offsite targets that receive a copy of each backup, each with its retention policy
 * @param retention the policy applied to the job's backups on its target (empty: keep all)
 * @param forgetAfterFailure apply retention even when the job's latest run failed
 * @param maxAge the newest backup older than this makes the job stale
 * @param verifyKey opens the job's encrypted archives for its verify step, or null
 * @param repository set when the job writes snapshots into a repository; null for archives
 */
public record Job(
    String name,
    List<Source> sources,
    String target,
    ArchiveSettings archive,
    Hooks hooks,
    VerifyLevel verify,
    List<Offsite> offsite,
    RetentionPolicy retention,
    boolean forgetAfterFailure,
    Duration maxAge,
    List<String> tags,
    OpenPgpDecryption verifyKey,
    RepositoryFormat repository) {

  public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(25);

  /** An off-site target and the retention policy applied there. */
  public record Offsite(String target, RetentionPolicy retention) {}

  /** An ad-hoc job: no lifecycle steps after the backup. */
  public static Job adHoc(String name, List<Source> sources, String target, ArchiveSettings archive) {
    return new Job(name, sources, target, archive, Hooks.none(), null, List.of(), RetentionPolicy.none(), false,
        DEFAULT_MAX_AGE, List.of(), null, null);
  }

  public Job withArchive(ArchiveSettings a, OpenPgpDecryption key) {
    return new Job(name, sources, target, a, hooks, verify, offsite, retention, forgetAfterFailure, maxAge, tags, key,
        repository);
  }

  public Job withVerify(VerifyLevel level) {
    return new Job(name, sources, target, archive, hooks, level, offsite, retention, forgetAfterFailure, maxAge, tags,
        verifyKey, repository);
  }

  /** The same job writing into a repository opened with the password {@code format} gives. */
  public Job withRepository(RepositoryFormat format) {
    return new Job(name, sources, target, archive, hooks, verify, offsite, retention, forgetAfterFailure, maxAge, tags,
        verifyKey, format);
  }
}
