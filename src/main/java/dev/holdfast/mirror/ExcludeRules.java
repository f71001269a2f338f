package dev.holdfast.mirror;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * rsync-style exclude patterns: a pattern without '/' matches a name at any depth, a trailing '/'
 * matches directories only, a leading '/' anchors the pattern at the source root, and any other
 * '/' makes the pattern match the end of the path ({@code *} stays within a name, {@code **} crosses '/').
 */
public final class ExcludeRules {
  private record Rule(String pattern, PathMatcher matcher, boolean dirOnly, boolean wholePath) {}

  private final List<Rule> rules = new ArrayList<>();

  public ExcludeRules(List<String> patterns) {
    for (String raw : patterns) {
      String p = raw.strip();
      if (p.isEmpty()) {
        continue;
      }
      boolean dirOnly = p.endsWith("/") && p.length() > 1;
      if (dirOnly) {
        p = p.substring(0, p.length() - 1);
      }
      boolean anchored = p.startsWith("/");
      boolean hasSlash = p.contains("/");
      String glob = anchored ? p.substring(1) : hasSlash ? "{" + p + ",**/" + p + "}" : p;
      rules.add(new Rule(raw, FileSystems.getDefault().getPathMatcher("glob:" + glob), dirOnly, hasSlash));
    }
  }

  public static ExcludeRules none() {
    return new ExcludeRules(List.of());
  }

  /** Lines of an exclude file: one pattern a line; blank lines and lines starting with '#' or ';' are skipped. */
  public static List<String> parseFile(List<String> lines) {
    return lines.stream().filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith(";")).toList();
  }

  /** Whether the entry at {@code rel} (relative to the source root, '/'-separated) is excluded. */
  public boolean excludes(String rel, boolean directory) {
    if (rules.isEmpty()) {
      return false;
    }
    Path whole = Path.of(rel);
    Path name = whole.getFileName();
    for (Rule r : rules) {
      if (r.dirOnly() && !directory) {
        continue;
      }
      if (r.matcher().matches(r.wholePath() ? whole : name)) {
        return true;
      }
    }
    return false;
  }
}
