package dev.holdfast.restore;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code restore --include} patterns, as restic's: a pattern that starts with {@code /} is matched
 * against the whole backed-up path from its root ({@code /home/me/notes/**}); one without matches at
 * any depth ({@code *.txt} is every .txt file, {@code notes} every entry named notes, {@code
 * me/notes} that pair of names anywhere). A pattern that matches a directory includes everything
 * below it. Globs as {@code FileSystem.getPathMatcher}: {@code *} within a name, {@code **} across
 * names, {@code ?}, {@code [abc]}, {@code {a,b}}.
 */
final class IncludePatterns {
  private record Pattern(PathMatcher matcher, boolean anchored) {}

  private final List<Pattern> patterns = new ArrayList<>();

  IncludePatterns(List<String> globs) {
    for (String g : globs) {
      boolean anchored = g.startsWith("/");
      String p = g.replaceAll("^/+", "").replaceAll("/+$", "");
      if (p.isEmpty()) {
        p = "**"; // "/" is everything
      }
      patterns.add(new Pattern(FileSystems.getDefault().getPathMatcher("glob:" + p), anchored));
    }
  }

  boolean isEmpty() {
    return patterns.isEmpty();
  }

  /** Whether backed-up path {@code name} (no leading slash) is to be restored. */
  boolean includes(String name) {
    if (patterns.isEmpty()) {
      return true;
    }
    for (Path cur = Path.of(name); cur != null; cur = cur.getParent()) {
      int n = cur.getNameCount();
      for (Pattern p : patterns) {
        if (p.matcher().matches(cur)) {
          return true;
        }
        if (!p.anchored()) {
          for (int i = 1; i < n; i++) {
            if (p.matcher().matches(cur.subpath(i, n))) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }
}
