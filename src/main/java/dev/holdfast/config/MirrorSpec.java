package dev.holdfast.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * The keys of a {@code format: mirror} job (docs/mirror.md).
 *
 * @param backupDir where replaced and deleted files go, or null
 * @param requireMount the directory that must be a mount point, or null
 * @param whenAbsent skip or fail
 * @param xattrs copy extended attributes and POSIX ACLs too
 */
public record MirrorSpec(
    boolean delete, String backupDir, boolean checksum, String requireMount, Duration waitForMount,
    String whenAbsent, List<String> excludeFrom, boolean xattrs) {

  static final List<String> KEYS =
      List.of("delete", "backup_dir", "checksum", "require_mount", "wait_for_mount", "when_absent", "exclude_from", "xattrs");

  /** Archive-job keys that a mirror job would silently ignore, so they are refused there. */
  static final List<String> ARCHIVE_ONLY_KEYS =
      List.of("exclude_if_present", "one_file_system", "compression", "level", "threads", "name", "verify",
          "offsite", "retention", "forget_after_failure", "encryption");

  /** Reads the mirror keys of a job; null (with a problem for each mirror key present) unless the format is mirror. */
  static MirrorSpec read(YamlReader r, Map<String, NodeTuple> m, String p, String format) {
    if (!"mirror".equals(format)) {
      for (String k : KEYS) {
        if (m.containsKey(k)) {
          r.problem(m.get(k).getKeyNode(), p + "." + k, "applies only to jobs with format: mirror");
        }
      }
      return null;
    }
    for (String k : ARCHIVE_ONLY_KEYS) {
      if (m.containsKey(k)) {
        r.problem(m.get(k).getKeyNode(), p + "." + k, "does not apply to jobs with format: mirror");
      }
    }
    Boolean delete = value(m, "delete", n -> r.bool(n, p + ".delete"));
    Boolean checksum = value(m, "checksum", n -> r.bool(n, p + ".checksum"));
    Boolean xattrs = value(m, "xattrs", n -> r.bool(n, p + ".xattrs"));
    String backupDir = value(m, "backup_dir", n -> r.requiredString(n, p + ".backup_dir"));
    String mount = value(m, "require_mount", n -> r.requiredString(n, p + ".require_mount"));
    Duration wait = Duration.ZERO;
    String w = value(m, "wait_for_mount", n -> r.requiredString(n, p + ".wait_for_mount"));
    if (w != null) {
      wait = ConfigLoader.parseDuration(w);
      if (wait == null) {
        r.problem(m.get("wait_for_mount").getValueNode(), p + ".wait_for_mount", "'" + w + "' is not a duration such as 60s");
        wait = Duration.ZERO;
      }
    }
    String whenAbsent = value(m, "when_absent", n -> r.requiredString(n, p + ".when_absent"));
    if (whenAbsent != null && !whenAbsent.equals("skip") && !whenAbsent.equals("fail")) {
      r.problem(m.get("when_absent").getValueNode(), p + ".when_absent", "'" + whenAbsent + "' is not one of: skip, fail");
    }
    if ((w != null || whenAbsent != null) && mount == null) {
      r.problem(m.get(w != null ? "wait_for_mount" : "when_absent").getKeyNode(), p + ".require_mount",
          "missing; wait_for_mount and when_absent need the directory that must be mounted");
    }
    List<String> excludeFrom = value(m, "exclude_from", n -> r.strings(n, p + ".exclude_from"));
    return new MirrorSpec(delete != null && delete, backupDir, checksum != null && checksum, mount, wait,
        whenAbsent == null ? "fail" : whenAbsent, excludeFrom == null ? List.of() : excludeFrom, xattrs != null && xattrs);
  }

  private static <T> T value(Map<String, NodeTuple> m, String key, java.util.function.Function<Node, T> read) {
    NodeTuple t = m.get(key);
    return t == null ? null : read.apply(t.getValueNode());
  }
}
