package dev.holdfast.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads values out of a SnakeYAML node tree while collecting every problem with its line and key
 * path; interpolates {@code ${VAR}} and {@code ${VAR:-default}} from the environment in scalars.
 */
final class YamlReader {
  private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
  private final String file;
  private final Map<String, String> env;
  final List<ConfigProblem> problems = new ArrayList<>();

  YamlReader(String file, Map<String, String> env) {
    this.file = file;
    this.env = env;
  }

  void problem(Node node, String key, String message) {
    problems.add(new ConfigProblem(file, line(node), key, message));
  }

  static int line(Node node) {
    return node == null ? 1 : node.getStartMark().getLine() + 1;
  }

  /** The mapping's entries by key, reporting unknown and duplicate keys. */
  Map<String, NodeTuple> mapping(Node node, String path, Collection<String> allowed) {
    Map<String, NodeTuple> out = new LinkedHashMap<>();
    if (!(node instanceof MappingNode m)) {
      problem(node, path, "must be a mapping of key: value");
      return out;
    }
    for (NodeTuple t : m.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) {
        problem(t.getKeyNode(), path, "keys must be plain names");
        continue;
      }
      String key = k.getValue();
      String full = path.isEmpty() ? key : path + "." + key;
      if (allowed != null && !allowed.contains(key)) {
        String near = nearest(key, allowed);
        problem(k, full, "unknown key" + (near == null ? "" : " (did you mean '" + near + "'?)")
            + "; allowed here: " + String.join(", ", allowed));
        continue;
      }
      if (out.containsKey(key)) {
        problem(k, full, "duplicate key (first at line " + line(out.get(key).getKeyNode()) + ")");
        continue;
      }
      out.put(key, t);
    }
    return out;
  }

  String string(Node node, String path) {
    if (!(node instanceof ScalarNode s)) {
      problem(node, path, "must be a single value");
      return null;
    }
    return interpolate(s, path);
  }

  String requiredString(Node node, String path) {
    int before = problems.size();
    String v = string(node, path);
    if (v != null && v.isBlank()) {
      if (problems.size() == before) { // an unset ${VAR} was reported already
        problem(node, path, "must not be empty");
      }
      return null;
    }
    return v;
  }

  /** A list of strings; a single string is accepted as a one-element list. */
  List<String> strings(Node node, String path) {
    List<String> out = new ArrayList<>();
    if (node instanceof ScalarNode s) {
      String v = interpolate(s, path);
      if (v != null && !v.isEmpty()) {
        out.add(v);
      }
      return out;
    }
    if (!(node instanceof SequenceNode seq)) {
      problem(node, path, "must be a list of values");
      return out;
    }
    int i = 0;
    for (Node item : seq.getValue()) {
      String v = string(item, path + "[" + i++ + "]");
      if (v != null) {
        out.add(v);
      }
    }
    return out;
  }

  Boolean bool(Node node, String path) {
    String v = string(node, path);
    if (v == null) {
      return null;
    }
    return switch (v.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> {
        problem(node, path, "must be true or false, not '" + v + "'");
        yield null;
      }
    };
  }

  Integer integer(Node node, String path, int min, int max) {
    String v = string(node, path);
    if (v == null) {
      return null;
    }
    try {
      int i = Integer.parseInt(v.trim());
      if (i < min || i > max) {
        problem(node, path, "must be between " + min + " and " + max + ", not " + i);
        return null;
      }
      return i;
    } catch (NumberFormatException e) {
      problem(node, path, "must be a whole number, not '" + v + "'");
      return null;
    }
  }

  private String interpolate(ScalarNode s, String path) {
    String v = s.getValue();
    if (v == null || !v.contains("${")) {
      return v;
    }
    Matcher m = VAR.matcher(v);
    StringBuilder sb = new StringBuilder();
    Set<String> missing = new HashSet<>();
    while (m.find()) {
      String value = env.get(m.group(1));
      if (value == null) {
        value = m.group(2);
      }
      if (value == null) {
        missing.add(m.group(1));
        value = "";
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    for (String name : missing) {
      problem(s, path, "environment variable " + name + " is not set (use ${" + name + ":-default} for a default)");
    }
    return sb.toString();
  }

  static String nearest(String key, Collection<String> allowed) {
    String best = null;
    int bestDist = 3;
    for (String a : allowed) {
      int d = distance(key, a);
      if (d < bestDist) {
        bestDist = d;
        best = a;
      }
    }
    return best;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
