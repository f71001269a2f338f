package dev.holdfast.web;

import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.restore.RestoreResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Restore from the dashboard in two steps: a preview of exactly what would be written where (and
 * what already exists), then the restore itself, which recomputes the preview and goes ahead only
 * when it matches the confirmation token of the one the user saw. The same for both formats.
 */
final class RestoreFlow {
  static final int SHOWN = 500;

  /** What a restore asks for; {@code kind} is files or database. */
  record Request(String kind, int target, String backup, String path, String into, boolean overwrite, String database,
      boolean create, boolean clean) {}

  record Write(String path, String dest, String type, long size, boolean exists) {}

  record Preview(String kind, String backup, String path, String into, int files, long bytes, int conflicts,
      boolean overwrite, List<Write> writes, boolean truncated, String database, boolean create, boolean clean,
      String summary, String confirm) {}

  private final Confirmations confirmations;

  RestoreFlow(Confirmations confirmations) {
    this.confirmations = confirmations;
  }

  Preview preview(String job, BackupTree backup, Request r) {
    String id = backup.id();
    if ("database".equals(r.kind())) {
      if (r.database() == null || r.database().isBlank()) {
        throw new WebError(400, "say which database to restore");
      }
      String into = r.into() == null || r.into().isBlank() ? null : r.into();
      String shownInto = into == null ? "the server and database it was dumped from" : maskUri(into);
      String summary = "load the dump of database '" + r.database() + "' from " + id + " into " + shownInto
          + (r.create() ? ", creating it if missing" : "") + (r.clean() ? ", dropping what it holds first" : "");
      List<String> shown = List.of(job, "database", id, r.database(), String.valueOf(into),
          String.valueOf(r.create()), String.valueOf(r.clean()));
      return new Preview("database", id, null, into == null ? null : maskUri(into), 0, 0, 0, false, List.of(),
          false, r.database(), r.create(), r.clean(), summary, confirmations.token(shown));
    }
    String path = ArchiveBrowser.checkPath(r.path());
    Path into = checkInto(r.into());
    if (backup.find(path).isEmpty()) {
      throw new WebError(404, "no '" + path + "' in " + id);
    }
    List<Write> writes = new ArrayList<>();
    List<String> shown = new ArrayList<>(List.of(job, "files", id, path, into.toString(), String.valueOf(r.overwrite())));
    long bytes = 0;
    int files = 0;
    int conflicts = 0;
    for (ArchiveBrowser.Listed l : backup.below(path)) {
      if (l.type().equals("other")) {
        continue;
      }
      Path dest = into.resolve(l.path());
      boolean exists = Files.exists(dest, LinkOption.NOFOLLOW_LINKS) && !(l.type().equals("dir") && Files.isDirectory(dest));
      if (exists) {
        conflicts++;
      }
      if (l.type().equals("file")) {
        files++;
        bytes += l.size();
      }
      writes.add(new Write(l.path(), dest.toString(), l.type(), l.size(), exists));
      shown.add(dest + (exists ? " exists" : ""));
    }
    String summary = "write " + files + " file" + (files == 1 ? "" : "s") + " (" + dev.holdfast.job.RunLog.human(bytes)
        + ") from " + id + " into " + into
        + (conflicts == 0 ? "" : r.overwrite() ? ", replacing " + conflicts + " existing" : "; " + conflicts
            + " already exist, so the restore will be refused unless you allow overwriting");
    return new Preview("files", id, path, into.toString(), files, bytes, conflicts, r.overwrite(),
        writes.size() > SHOWN ? writes.subList(0, SHOWN) : writes, writes.size() > SHOWN, null, false, false, summary,
        confirmations.token(shown));
  }

  /** Restores after checking that {@code confirm} is the token of the preview as it is now. */
  Object restore(String job, BackupTree backup, Request r, Map<String, String> env, String confirm, LiveOps.Op op) {
    Preview now = preview(job, backup, r);
    if (!Access.sameToken(now.confirm(), confirm)) {
      throw new WebError(409, "what this restore would write differs from the preview you confirmed (or no preview was"
          + " confirmed); preview it again");
    }
    if ("database".equals(now.kind())) {
      DatabaseRestore.Result res = backup.restoreDatabase(new DatabaseRestore.Request(r.database(),
          r.into() == null || r.into().isBlank() ? null : r.into(), r.create(), r.clean()), env);
      return new DatabaseResult(res.backup(), res.entry(), maskUri(res.into()), res.bytes());
    }
    RestoreResult res = backup.restore(now.path(), Path.of(now.into()), r.overwrite(), op);
    return res;
  }

  record DatabaseResult(String backup, String entry, String into, long bytes) {}

  /** An absolute, normalized host path without NUL: where restored files go. */
  static Path checkInto(String into) {
    if (into == null || into.isBlank()) {
      throw new WebError(400, "say where to restore: an absolute directory on this host");
    }
    if (into.indexOf('\0') >= 0 || !into.startsWith("/")) {
      throw new WebError(400, "the restore directory must be an absolute path");
    }
    String trimmed = into.length() > 1 && into.endsWith("/") ? into.substring(0, into.length() - 1) : into;
    for (String part : trimmed.split("/")) {
      if (part.equals("..") || part.equals(".")) {
        throw new WebError(400, "the restore directory must not contain '.' or '..'");
      }
    }
    return Path.of(trimmed).normalize();
  }

  /** A glob matching exactly this path. */
  static String escapeGlob(String p) {
    StringBuilder b = new StringBuilder();
    for (char c : p.toCharArray()) {
      if ("\\*?[]{}".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  /** A database URI with any password in it replaced, for showing. */
  static String maskUri(String uri) {
    if (uri == null) {
      return null;
    }
    return uri.replaceFirst("^([a-z][a-z0-9+.-]*://[^:/@]+):[^@/]*@", "$1:***@");
  }
}
