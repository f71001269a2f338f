package dev.holdfast.mirror;

import java.nio.file.Path;
import java.util.List;

/**
 * What to mirror where and how.
 *
 * @param dest a local directory or an {@code sftp://} URL
 * @param sources directories (or files); one source's contents go straight into {@code dest},
 *     several sources each become {@code dest/<basename>}
 * @param delete remove entries of the destination the sources do not have
 * @param checksum compare content instead of size and mtime
 * @param backupDir where replaced and deleted entries are moved (relative: to {@code dest}), or null
 * @param dryRun only report what would change
 * @param xattrs copy extended attributes and POSIX ACLs too (local destinations only)
 */
public record MirrorRequest(
    List<Path> sources, String dest, boolean delete, boolean checksum, Path backupDir, ExcludeRules excludes,
    boolean dryRun, boolean xattrs) {

  /** Without extended attributes. */
  public MirrorRequest(
      List<Path> sources, String dest, boolean delete, boolean checksum, Path backupDir, ExcludeRules excludes,
      boolean dryRun) {
    this(sources, dest, delete, checksum, backupDir, excludes, dryRun, false);
  }
}
