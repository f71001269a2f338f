package dev.holdfast.repository;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code snapshots/<id>} file (design.rst "Snapshots"): when, from where, which paths, and the
 * root tree of one backup.
 *
 * @param time when the backup started, with the writer's UTC offset (forget uses that offset)
 * @param parent the snapshot this one was based on, or null
 * @param tree the root tree blob
 * @param paths absolute paths that were backed up
 * @param hostname the host that made it
 * @param username who made it
 * @param uid their uid (0 is omitted, as restic does)
 * @param gid their gid
 * @param excludes exclude patterns used
 * @param tags free-form tags
 * @param original the first version of a rewritten snapshot, or null
 * @param programVersion the writer ("holdfast 0.1.0"); restic 0.14 ignores it
 */
public record Snapshot(
    OffsetDateTime time,
    ObjectId parent,
    ObjectId tree,
    List<String> paths,
    String hostname,
    String username,
    long uid,
    long gid,
    List<String> excludes,
    List<String> tags,
    ObjectId original,
    String programVersion) {

  public Snapshot {
    paths = List.copyOf(paths);
    excludes = excludes == null ? List.of() : List.copyOf(excludes);
    tags = tags == null ? List.of() : List.copyOf(tags);
  }

  /** The JSON in restic's field order, without a trailing newline, as restic writes it. */
  byte[] toJson() {
    var j = new GoJson().beginObject().name("time").value(GoJson.time(time));
    if (parent != null) {
      j.name("parent").value(parent.hex());
    }
    j.name("tree").value(tree.hex());
    strings(j, "paths", paths, true);
    if (hostname != null && !hostname.isEmpty()) {
      j.name("hostname").value(hostname);
    }
    if (username != null && !username.isEmpty()) {
      j.name("username").value(username);
    }
    if (uid != 0) {
      j.name("uid").value(uid);
    }
    if (gid != 0) {
      j.name("gid").value(gid);
    }
    strings(j, "excludes", excludes, false);
    strings(j, "tags", tags, false);
    if (original != null) {
      j.name("original").value(original.hex());
    }
    if (programVersion != null && !programVersion.isEmpty()) {
      j.name("program_version").value(programVersion);
    }
    return j.endObject().toBytes();
  }

  private static void strings(GoJson j, String name, List<String> list, boolean always) {
    if (list.isEmpty() && !always) {
      return;
    }
    j.name(name).beginArray();
    list.forEach(j::value);
    j.endArray();
  }

  static Snapshot parse(byte[] json, String what) {
    JsonNode root = GoJson.object(GoJson.parse(json, what), what);
    String parent = GoJson.optText(root, "parent", what);
    String original = GoJson.optText(root, "original", what);
    return new Snapshot(
        GoJson.parseTime(GoJson.text(root, "time", what), what),
        parent == null ? null : ObjectId.parse(parent),
        ObjectId.parse(GoJson.text(root, "tree", what)),
        strings(root, "paths", what),
        GoJson.optText(root, "hostname", what),
        GoJson.optText(root, "username", what),
        GoJson.optNumber(root, "uid", 0, 0xffffffffL, what),
        GoJson.optNumber(root, "gid", 0, 0xffffffffL, what),
        strings(root, "excludes", what),
        strings(root, "tags", what),
        original == null ? null : ObjectId.parse(original),
        GoJson.optText(root, "program_version", what));
  }

  private static List<String> strings(JsonNode root, String field, String what) {
    JsonNode arr = GoJson.array(root, field, false, what);
    var out = new ArrayList<String>();
    if (arr != null) {
      for (JsonNode s : arr) {
        if (!s.isTextual()) {
          throw GoJson.damaged(what, "'" + field + "' holds a non-string");
        }
        out.add(s.textValue());
      }
    }
    return out;
  }
}
