package dev.holdfast.config;

import dev.holdfast.error.HoldfastException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a job's {@code sources}: absolute paths, database URIs ({@code postgresql://},
 * {@code mariadb://}, {@code mysql://}, {@code sqlite:///}) and mappings such as
 * {@code {postgres: {host: db, database: shop}}}. Every item becomes one string — a path or a URI —
 * so a job spec stays a list of strings; mappings are written as the equivalent URI.
 */
final class SourceItems {
  static final List<String> POSTGRES_KEYS =
      List.of("host", "port", "user", "database", "all", "format", "sslmode", "password_file");
  static final List<String> MARIADB_KEYS = List.of("host", "port", "user", "database", "password_file", "socket");
  static final List<String> COMMAND_KEYS = List.of("run", "name", "timeout");
  static final List<String> DOCKER_VOLUME_KEYS = List.of("name", "label", "stop", "docker_host");
  static final List<String> KINDS = List.of("postgres", "mariadb", "mysql", "sqlite", "command", "docker_volume");

  private SourceItems() {}

  static List<String> read(YamlReader r, Node node, String p) {
    if (!(node instanceof SequenceNode) && !(node instanceof ScalarNode)) {
      r.problem(node, p, "must be a list of values");
      return List.of();
    }
    List<Node> items = node instanceof SequenceNode seq ? seq.getValue() : List.of(node);
    List<String> out = new ArrayList<>();
    int i = 0;
    for (Node item : items) {
      String ip = node instanceof SequenceNode ? p + "[" + i++ + "]" : p;
      String s = item instanceof ScalarNode ? r.string(item, ip) : mapping(r, item, ip);
      if (s == null || s.isEmpty()) {
        continue;
      }
      String problem = problem(s);
      if (problem != null) {
        r.problem(item, item instanceof ScalarNode ? p : ip, problem);
      } else {
        out.add(s);
      }
    }
    return out;
  }

  /** Why an item cannot be a source, or null. */
  static String problem(String s) {
    if (s.startsWith("/") || s.startsWith("~")) {
      return null;
    }
    try {
      if (s.startsWith("postgresql://") || s.startsWith("postgres://")) {
        dev.holdfast.source.PostgresConnection.parse(s);
        return null;
      }
      if (s.startsWith("mariadb://") || s.startsWith("mysql://")) {
        dev.holdfast.source.MysqlConnection.parse(s);
        return null;
      }
    } catch (HoldfastException e) {
      return e.getMessage() + (e.hint() == null ? "" : "; " + e.hint());
    }
    if (s.startsWith("sqlite:///")) {
      return null;
    }
    if (s.startsWith("command:") || s.startsWith("docker-volume:")) {
      return null;
    }
    return "'" + s + "' must be an absolute path or a database URI (postgresql://, mariadb://, sqlite:///)";
  }

  private static String mapping(YamlReader r, Node item, String ip) {
    Map<String, NodeTuple> kind = r.mapping(item, ip, KINDS);
    if (kind.size() != 1) {
      if (kind.isEmpty()) {
        r.problem(item, ip, "a source mapping names one kind: " + String.join(", ", KINDS));
      } else {
        r.problem(item, ip, "one kind per list item, not " + String.join(" and ", kind.keySet()));
      }
      return null;
    }
    var e = kind.entrySet().iterator().next();
    String kp = ip + "." + e.getKey();
    Node v = e.getValue().getValueNode();
    return switch (e.getKey()) {
      case "postgres" -> database(r, v, kp, "postgresql", POSTGRES_KEYS);
      case "mariadb", "mysql" -> database(r, v, kp, e.getKey(), MARIADB_KEYS);
      case "sqlite" -> {
        String path = v instanceof ScalarNode ? r.requiredString(v, kp)
            : values(r, r.mapping(v, kp, List.of("path")), kp).get("path");
        if (path == null || !path.startsWith("/")) {
          r.problem(v, kp + ".path", "the database file's absolute path, e.g. /var/lib/app/app.db");
          yield null;
        }
        yield "sqlite://" + path;
      }
      case "docker_volume" -> {
        Map<String, String> m = v instanceof ScalarNode ? Map.of("name", r.requiredString(v, kp))
            : values(r, r.mapping(v, kp, DOCKER_VOLUME_KEYS), kp);
        if ((m.get("name") == null) == (m.get("label") == null)) {
          r.problem(v, kp + (m.get("name") == null ? ".name" : ""), m.get("name") == null
              ? "missing; the volume's name as docker volume ls shows it, or label: KEY=VALUE for every volume with it"
              : "give name or label, not both");
          yield null;
        }
        if (m.containsKey("stop") && !List.of("true", "false").contains(m.get("stop"))) {
          r.problem(v, kp + ".stop", "must be true or false");
          yield null;
        }
        yield "docker-volume:" + (m.get("name") == null ? "?label=" + enc(m.get("label")) + "&" : enc(m.get("name")) + "?")
            + "stop=" + m.getOrDefault("stop", "false")
            + (m.containsKey("docker_host") ? "&docker_host=" + enc(m.get("docker_host")) : "");
      }
      default -> {
        Map<String, String> m = values(r, r.mapping(v, kp, COMMAND_KEYS), kp);
        if (m.get("run") == null || m.get("name") == null) {
          r.problem(v, kp, "give run (the command) and name (the entry's file name)");
          yield null;
        }
        if (m.containsKey("timeout") && ConfigLoader.parseDuration(m.get("timeout")) == null) {
          r.problem(v, kp + ".timeout", "'" + m.get("timeout") + "' is not a duration such as 90s or 10m");
          yield null;
        }
        yield "command:" + enc(m.get("name")) + "?run=" + enc(m.get("run"))
            + (m.containsKey("timeout") ? "&timeout=" + enc(m.get("timeout")) : "");
      }
    };
  }

  private static String database(YamlReader r, Node v, String kp, String scheme, List<String> keys) {
    Map<String, String> m = values(r, r.mapping(v, kp, keys), kp);
    boolean all = "true".equals(m.get("all"));
    if (all == m.containsKey("database")) {
      r.problem(v, kp, all ? "give database or all: true, not both" : "name the database, or set all: true");
      return null;
    }
    StringBuilder u = new StringBuilder(scheme).append("://");
    if (m.containsKey("user")) {
      u.append(enc(m.get("user"))).append('@');
    }
    u.append(m.getOrDefault("host", "localhost"));
    if (m.containsKey("port")) {
      u.append(':').append(m.get("port"));
    }
    u.append('/');
    if (!all) {
      u.append(enc(m.get("database")));
    }
    List<String> q = new ArrayList<>();
    for (String k : List.of("format", "sslmode", "password_file", "socket")) {
      if (m.containsKey(k)) {
        q.add(k + "=" + enc(m.get(k)));
      }
    }
    if (!q.isEmpty()) {
      u.append('?').append(String.join("&", q));
    }
    return u.toString();
  }

  private static Map<String, String> values(YamlReader r, Map<String, NodeTuple> m, String p) {
    Map<String, String> out = new LinkedHashMap<>();
    for (var e : m.entrySet()) {
      String v = r.requiredString(e.getValue().getValueNode(), p + "." + e.getKey());
      if (v != null) {
        out.put(e.getKey(), v);
      }
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
