package dev.holdfast.repository;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * The content of a {@code locks/<id>} file (design.rst "Locks"): who holds a lock, since when,
 * and whether it is exclusive.
 *
 * @param time when the lock was written or last refreshed
 * @param exclusive true for prune-like operations that no one may run beside
 * @param hostname the holder's host
 * @param username the holder's user
 * @param pid the holder's process id
 * @param uid the holder's uid (omitted when 0)
 * @param gid the holder's gid (omitted when 0)
 */
public record LockFile(
    OffsetDateTime time, boolean exclusive, String hostname, String username, long pid, long uid, long gid) {

  /** restic refreshes locks every 5 minutes and considers one stale after 30. */
  static final Duration STALE_AFTER = Duration.ofMinutes(30);

  /**
   * Stale as newer restic judges it: not refreshed for 30 minutes, or written on this host by a
   * process that no longer exists.
   */
  boolean isStale(Instant now, String localHost) {
    return staleReason(now, localHost) != null;
  }

  /** Why this lock is stale (for the log), or null when its holder may still be running. */
  String staleReason(Instant now, String localHost) {
    if (time.toInstant().plus(STALE_AFTER).isBefore(now)) {
      return "not refreshed for more than " + STALE_AFTER.toMinutes() + " minutes";
    }
    if (hostname != null && hostname.equals(localHost) && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
      return "process " + pid + " no longer runs on this host";
    }
    return null;
  }

  byte[] toJson() {
    var j =
        new GoJson()
            .beginObject()
            .name("time").value(GoJson.time(time))
            .name("exclusive").value(exclusive)
            .name("hostname").value(hostname)
            .name("username").value(username)
            .name("pid").value(pid);
    if (uid != 0) {
      j.name("uid").value(uid);
    }
    if (gid != 0) {
      j.name("gid").value(gid);
    }
    return j.endObject().toBytes();
  }

  static LockFile parse(byte[] json, String what) {
    JsonNode root = GoJson.object(GoJson.parse(json, what), what);
    JsonNode ex = root.get("exclusive");
    String host = GoJson.optText(root, "hostname", what);
    String user = GoJson.optText(root, "username", what);
    return new LockFile(
        GoJson.parseTime(GoJson.text(root, "time", what), what),
        ex != null && ex.asBoolean(false),
        host == null ? "" : host,
        user == null ? "" : user,
        GoJson.optNumber(root, "pid", 0, Long.MAX_VALUE, what),
        GoJson.optNumber(root, "uid", 0, 0xffffffffL, what),
        GoJson.optNumber(root, "gid", 0, 0xffffffffL, what));
  }
}
