package dev.holdfast.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Where a YAML syntax error is, as the other config problems say it: the line, and the key path
 * (jobs.daily.sources) of the value being parsed. The parser knows no keys when it fails, so the
 * path is read from the text by indentation: the key on the line where the construct began (its
 * context mark: an unclosed {@code [} or quote, a mapping), then every less indented key above it.
 */
final class SyntaxLocation {
  /** A "key:" line, optionally a sequence item ("- key:"): indentation, dash, key. */
  private static final Pattern KEY_LINE = Pattern.compile("^( *)(- +)?([^\\s#\\-\"'\\[{][^:#]*?|\"[^\"]*\"|'[^']*'):(\\s|$)");

  private SyntaxLocation() {}

  static ConfigProblem problem(String file, String text, MarkedYAMLException e) {
    Mark problem = e.getProblemMark();
    Mark context = e.getContextMark();
    int line = problem == null ? 1 : problem.getLine() + 1;
    String[] lines = text.split("\n", -1);
    Mark at = context != null ? context : problem;
    String key = "";
    if (at != null) {
      // at a blank line or the end of the file: the construct left open on the last line with content
      int l = Math.min(at.getLine(), lines.length - 1);
      int c = at.getColumn();
      while (l > 0 && lines[l].isBlank()) {
        l--;
        c = lines[l].length();
      }
      key = keyPath(lines, l, c);
    }
    StringBuilder msg = new StringBuilder("YAML syntax: ").append(e.getProblem());
    if (context != null && e.getContext() != null && context.getLine() != (problem == null ? -1 : problem.getLine())) {
      msg.append(" (").append(e.getContext()).append(" that starts at line ").append(context.getLine() + 1).append(')');
    }
    String what = (e.getProblem() == null ? "" : e.getProblem()) + " " + (e.getContext() == null ? "" : e.getContext());
    if (what.contains("mapping values are not allowed")) {
      msg.append("; quote a value that contains ': ', or check the indentation");
    } else if (what.contains("<block")) {
      msg.append("; check the indentation: the keys of one mapping line up, a value is indented below its key");
    } else if (what.contains("alias") || what.contains("anchor")) {
      msg.append("; quote a value that starts with *, &, !, % or @ (e.g. '*.log')");
    }
    return new ConfigProblem(file, line, key.isEmpty() ? "(syntax)" : key, msg.toString());
  }

  /**
   * The dotted key path at line {@code line} (0-based), column {@code column}: that line's key
   * when the column is in its value, then the keys of the less indented lines above.
   */
  static String keyPath(String[] lines, int line, int column) {
    if (line < 0 || line >= lines.length) {
      return "";
    }
    List<String> path = new ArrayList<>();
    Matcher m = KEY_LINE.matcher(lines[line]);
    int indent;
    if (m.find()) {
      indent = m.group(1).length() + (m.group(2) == null ? 0 : m.group(2).length());
      if (column >= m.end(3)) {
        path.add(unquote(m.group(3)));
      }
    } else {
      indent = indentOf(lines[line]);
      if (indent < 0) {
        return "";
      }
    }
    for (int i = line - 1; i >= 0 && indent > 0; i--) {
      int own = indentOf(lines[i]);
      if (own < 0 || own >= indent) {
        continue; // blank, comment, or a sibling or child of what we are in
      }
      Matcher k = KEY_LINE.matcher(lines[i]);
      if (k.find()) {
        // a "- key:" item's key belongs to the item mapping, as deep as the text after its dash
        int keyIndent = k.group(1).length() + (k.group(2) == null ? 0 : k.group(2).length());
        if (keyIndent < indent) {
          path.add(0, unquote(k.group(3)));
        }
      }
      indent = own;
    }
    return String.join(".", path);
  }

  /** Leading spaces of a line with content; -1 for a blank or comment-only line. */
  private static int indentOf(String line) {
    int i = 0;
    while (i < line.length() && line.charAt(i) == ' ') {
      i++;
    }
    return i == line.length() || line.charAt(i) == '#' || line.charAt(i) == '\r' ? -1 : i;
  }

  private static String unquote(String key) {
    String k = key.strip();
    return k.length() >= 2 && (k.charAt(0) == '"' || k.charAt(0) == '\'') ? k.substring(1, k.length() - 1) : k;
  }
}
