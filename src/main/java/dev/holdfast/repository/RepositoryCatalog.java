package dev.holdfast.repository;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.format.BackupRef;
import dev.holdfast.format.Catalog;
import java.util.List;
import java.util.Locale;

/**
 * The snapshots of a repository as backups: id, time, first tag as the job, host. Size and file
 * count are not in restic's snapshot files (0.14 has no summary), so they are reported as unknown.
 */
public final class RepositoryCatalog implements Catalog {
  private final Repository repo;

  public RepositoryCatalog(Repository repo) {
    this.repo = repo;
  }

  @Override
  public List<BackupRef> list() {
    return repo.readableSnapshots().stream().map(RepositoryCatalog::ref).toList();
  }

  private static BackupRef ref(StoredSnapshot s) {
    Snapshot sn = s.snapshot();
    return new BackupRef(
        s.id().hex(),
        sn.time().toInstant(),
        sn.tags().isEmpty() ? "" : sn.tags().get(0),
        sn.hostname() == null ? "" : sn.hostname(),
        -1,
        -1,
        "repository",
        sn.programVersion() != null && sn.programVersion().startsWith("holdfast"),
        true);
  }

  /** "latest", a full id, or a unique prefix of one (restic's short ids are 8 hex digits). */
  @Override
  public BackupRef find(String selector) {
    List<BackupRef> all = list();
    if (selector.equals("latest")) {
      if (all.isEmpty()) {
        throw new HoldfastException(ExitCode.TARGET_MISSING, "the repository at " + repo.backend().location() + " has no snapshots");
      }
      return all.get(all.size() - 1);
    }
    List<BackupRef> matches = all.stream().filter(r -> r.id().startsWith(selector.toLowerCase(Locale.ROOT))).toList();
    if (matches.size() == 1 && !selector.isEmpty()) {
      return matches.get(0);
    }
    // as for archives: a snapshot that is not there is exit 10, an ambiguous id a usage error
    throw new HoldfastException(
        matches.isEmpty() ? ExitCode.TARGET_MISSING : ExitCode.USAGE,
        matches.isEmpty()
            ? "no snapshot " + selector + " in " + repo.backend().location()
            : "snapshot prefix " + selector + " is ambiguous (" + matches.size() + " snapshots match)",
        "list them with: holdfast snapshots --from " + repo.backend().targetUrl());
  }
}
