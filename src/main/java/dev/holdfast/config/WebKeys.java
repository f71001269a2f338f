package dev.holdfast.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** Reads the top-level {@code web:} keys (the daemon's dashboard). Kept apart so ConfigLoader only gains the call. */
final class WebKeys {
  static final List<String> WEB_KEYS = List.of("enabled", "token_file", "users", "session_timeout");
  static final List<String> USER_KEYS = List.of("name", "password_hash", "role");
  static final List<String> ROLES = List.of("admin", "read-only");
  private static final Pattern HASH = Pattern.compile("pbkdf2-sha256:\\d{4,9}:[A-Za-z0-9+/=]{16,}:[A-Za-z0-9+/=]{32,}");

  private WebKeys() {}

  static WebSpec web(YamlReader r, Map<String, NodeTuple> top) {
    NodeTuple t = top.get("web");
    if (t == null) {
      return WebSpec.defaults();
    }
    Map<String, NodeTuple> m = r.mapping(t.getValueNode(), "web", WEB_KEYS);
    Boolean enabled = m.containsKey("enabled") ? r.bool(m.get("enabled").getValueNode(), "web.enabled") : null;
    String token = m.containsKey("token_file") ? r.requiredString(m.get("token_file").getValueNode(), "web.token_file") : null;
    Duration timeout = WebSpec.DEFAULT_SESSION_TIMEOUT;
    if (m.containsKey("session_timeout")) {
      Node v = m.get("session_timeout").getValueNode();
      String s = r.requiredString(v, "web.session_timeout");
      Duration d = s == null ? null : ConfigLoader.parseDuration(s);
      if (s != null && (d == null || d.isZero())) {
        r.problem(v, "web.session_timeout", "'" + s + "' is not a duration such as 30m or 12h");
      } else if (d != null) {
        timeout = d;
      }
    }
    List<WebSpec.User> users = new ArrayList<>();
    if (m.containsKey("users")) {
      Node n = m.get("users").getValueNode();
      if (!(n instanceof SequenceNode seq)) {
        r.problem(n, "web.users", "must be a list of {name, password_hash, role}");
      } else {
        Set<String> names = new HashSet<>();
        int i = 0;
        for (Node item : seq.getValue()) {
          WebSpec.User u = user(r, item, "web.users[" + i++ + "]");
          if (u != null && !names.add(u.name())) {
            r.problem(item, "web.users", "user '" + u.name() + "' is listed twice");
          } else if (u != null) {
            users.add(u);
          }
        }
      }
    }
    return new WebSpec(enabled, token, List.copyOf(users), timeout);
  }

  private static WebSpec.User user(YamlReader r, Node item, String p) {
    Map<String, NodeTuple> m = r.mapping(item, p, USER_KEYS);
    String name = m.containsKey("name") ? r.requiredString(m.get("name").getValueNode(), p + ".name") : null;
    if (name == null && !m.containsKey("name")) {
      r.problem(item, p + ".name", "missing; the login name");
    }
    String hash = m.containsKey("password_hash")
        ? r.requiredString(m.get("password_hash").getValueNode(), p + ".password_hash") : null;
    if (hash == null && !m.containsKey("password_hash")) {
      r.problem(item, p + ".password_hash", "missing; make one with: holdfast daemon --hash-password");
    } else if (hash != null && !HASH.matcher(hash).matches()) {
      // never echo the value: it is a secret's hash
      r.problem(m.get("password_hash").getValueNode(), p + ".password_hash",
          "not a pbkdf2-sha256:ITERATIONS:SALT:HASH value; make one with: holdfast daemon --hash-password");
      hash = null;
    }
    String role = "admin";
    if (m.containsKey("role")) {
      String v = r.requiredString(m.get("role").getValueNode(), p + ".role");
      if (v != null && !ROLES.contains(v)) {
        r.problem(m.get("role").getValueNode(), p + ".role", "'" + v + "' is not one of: " + String.join(", ", ROLES));
      } else if (v != null) {
        role = v;
      }
    }
    return name == null || hash == null ? null : new WebSpec.User(name, hash, role);
  }
}
