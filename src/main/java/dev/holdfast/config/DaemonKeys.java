package dev.holdfast.config;

import dev.holdfast.schedule.CronSchedule;
import dev.holdfast.schedule.CronSyntaxException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the keys for unattended operation (issue 7): a job's {@code schedule}, {@code
 * randomized_delay} and {@code notify}, and the top-level {@code metrics} and {@code log}. Kept
 * apart from {@link ConfigLoader} so that file only gains the calls.
 */
final class DaemonKeys {
  static final List<String> EMAIL_KEYS =
      List.of("to", "from", "smtp_host", "smtp_port", "starttls", "tls", "username", "password_file", "ca_file");
  static final List<String> METRICS_KEYS = List.of("listen", "textfile_dir");
  static final List<String> LOG_KEYS = List.of("max_size", "keep");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)?");

  private DaemonKeys() {}

  /** The job's cron expression, checked in the config's time zone; null when absent or invalid. */
  static String schedule(YamlReader r, Map<String, NodeTuple> m, String p, String zone) {
    NodeTuple t = m.get("schedule");
    if (t == null) {
      return null;
    }
    String s = r.requiredString(t.getValueNode(), p + ".schedule");
    if (s == null) {
      return null;
    }
    try {
      ZoneId z = zoneOrDefault(zone);
      CronSchedule.parse(s, z);
      return s;
    } catch (CronSyntaxException e) {
      r.problem(t.getValueNode(), p + ".schedule", e.problem() + " (e.g. \"0 3 * * *\" or @daily)");
      return null;
    }
  }

  private static ZoneId zoneOrDefault(String zone) {
    try {
      return zone == null ? ZoneId.systemDefault() : ZoneId.of(zone);
    } catch (java.time.DateTimeException e) {
      return ZoneId.systemDefault(); // reported with time_zone
    }
  }

  static Duration randomizedDelay(YamlReader r, Map<String, NodeTuple> m, String p) {
    NodeTuple t = m.get("randomized_delay");
    if (t == null) {
      return Duration.ZERO;
    }
    String s = r.requiredString(t.getValueNode(), p + ".randomized_delay");
    Duration d = s == null ? null : ConfigLoader.parseDuration(s);
    if (s != null && d == null) {
      r.problem(t.getValueNode(), p + ".randomized_delay", "'" + s + "' is not a duration such as 10m or 1h");
    }
    if (s != null && t != null && !m.containsKey("schedule")) {
      r.problem(t.getValueNode(), p + ".randomized_delay", "only applies with a schedule; add schedule: \"0 3 * * *\"");
    }
    return d == null ? Duration.ZERO : d;
  }

  static List<NotifySpec> notifiers(YamlReader r, Map<String, NodeTuple> m, String p) {
    NodeTuple t = m.get("notify");
    if (t == null) {
      return List.of();
    }
    Node n = t.getValueNode();
    List<Node> items = n instanceof SequenceNode seq ? seq.getValue() : List.of(n);
    List<NotifySpec> out = new ArrayList<>();
    int i = 0;
    for (Node item : items) {
      String ip = p + ".notify[" + i++ + "]";
      NotifySpec s = notifier(r, item, ip);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private static NotifySpec notifier(YamlReader r, Node item, String p) {
    Map<String, NodeTuple> m = r.mapping(item, p, List.of("email", "webhook", "healthchecks", "ntfy", "on"));
    List<String> kinds = m.keySet().stream().filter(k -> !k.equals("on")).toList();
    if (kinds.size() != 1) {
      if (!m.isEmpty() || item instanceof org.yaml.snakeyaml.nodes.MappingNode) {
        r.problem(item, p, "give exactly one of email, webhook, healthchecks, ntfy");
      }
      return null;
    }
    Set<String> on = new LinkedHashSet<>(List.of("failure"));
    if (m.containsKey("on")) {
      on.clear();
      for (String o : r.strings(m.get("on").getValueNode(), p + ".on")) {
        String v = o.toLowerCase(Locale.ROOT);
        if (!NotifySpec.OUTCOMES.contains(v)) {
          r.problem(m.get("on").getValueNode(), p + ".on", "'" + o + "' is not one of: " + String.join(", ", NotifySpec.OUTCOMES));
        }
        on.add(v);
      }
    }
    String kind = kinds.get(0);
    Node v = m.get(kind).getValueNode();
    String kp = p + "." + kind;
    return switch (kind) {
      case "email" -> email(r, v, kp, Set.copyOf(on));
      case "webhook" -> {
        String url = url(r, v, kp);
        yield url == null ? null : new NotifySpec.Webhook(url, Set.copyOf(on));
      }
      case "healthchecks" -> {
        if (m.containsKey("on")) {
          r.problem(m.get("on").getKeyNode(), p + ".on", "healthchecks is always pinged at start, success and failure");
        }
        String url = url(r, v, kp);
        yield url == null ? null : new NotifySpec.Healthchecks(url, Set.copyOf(NotifySpec.OUTCOMES));
      }
      default -> {
        String url = url(r, v, kp);
        yield url == null ? null : new NotifySpec.Ntfy(url, Set.copyOf(on));
      }
    };
  }

  private static String url(YamlReader r, Node n, String p) {
    String u = r.requiredString(n, p);
    if (u != null && !u.matches("https?://[^\\s/]+.*")) {
      r.problem(n, p, "'" + u + "' is not an http:// or https:// URL");
      return null;
    }
    return u;
  }

  private static NotifySpec.Email email(YamlReader r, Node n, String p, Set<String> on) {
    Map<String, NodeTuple> m = r.mapping(n, p, EMAIL_KEYS);
    List<String> to = m.containsKey("to") ? r.strings(m.get("to").getValueNode(), p + ".to") : List.of();
    if (to.isEmpty()) {
      r.problem(n, p + ".to", "missing; list the recipients");
    }
    for (String a : to) {
      if (!a.contains("@")) {
        r.problem(m.get("to").getValueNode(), p + ".to", "'" + a + "' is not a mail address");
      }
    }
    String from = m.containsKey("from") ? r.requiredString(m.get("from").getValueNode(), p + ".from") : null;
    if (from == null && !m.containsKey("from")) {
      r.problem(n, p + ".from", "missing; the sender address, e.g. holdfast@example.org");
    }
    String host = m.containsKey("smtp_host") ? r.requiredString(m.get("smtp_host").getValueNode(), p + ".smtp_host") : null;
    if (host == null && !m.containsKey("smtp_host")) {
      r.problem(n, p + ".smtp_host", "missing; the mail server, e.g. smtp.example.org");
    }
    boolean tls = m.containsKey("tls") && Boolean.TRUE.equals(r.bool(m.get("tls").getValueNode(), p + ".tls"));
    boolean starttls = m.containsKey("starttls")
        ? Boolean.TRUE.equals(r.bool(m.get("starttls").getValueNode(), p + ".starttls")) : !tls;
    if (tls && starttls) {
      r.problem(m.get("starttls").getValueNode(), p + ".starttls", "tls (implicit, port 465) and starttls exclude each other");
    }
    Integer port = m.containsKey("smtp_port") ? r.integer(m.get("smtp_port").getValueNode(), p + ".smtp_port", 1, 65535) : null;
    String user = m.containsKey("username") ? r.requiredString(m.get("username").getValueNode(), p + ".username") : null;
    String pw = m.containsKey("password_file")
        ? r.requiredString(m.get("password_file").getValueNode(), p + ".password_file") : null;
    if (pw != null && user == null) {
      r.problem(m.get("password_file").getValueNode(), p + ".password_file", "needs a username");
    }
    String ca = m.containsKey("ca_file") ? r.requiredString(m.get("ca_file").getValueNode(), p + ".ca_file") : null;
    if (ca != null && !tls && !starttls) {
      r.problem(m.get("ca_file").getValueNode(), p + ".ca_file", "applies only with tls or starttls");
    }
    return new NotifySpec.Email(List.copyOf(to), from, host, port != null ? port : tls ? 465 : starttls ? 587 : 25,
        starttls, tls, user, pw, ca, on);
  }

  static MetricsSpec metrics(YamlReader r, Map<String, NodeTuple> top) {
    NodeTuple t = top.get("metrics");
    if (t == null) {
      return MetricsSpec.none();
    }
    Map<String, NodeTuple> m = r.mapping(t.getValueNode(), "metrics", METRICS_KEYS);
    String listen = m.containsKey("listen") ? r.requiredString(m.get("listen").getValueNode(), "metrics.listen") : null;
    if (listen != null && parseListen(listen) == null) {
      r.problem(m.get("listen").getValueNode(), "metrics.listen", "'" + listen + "' is not host:port, e.g. 127.0.0.1:9485");
    }
    String dir = m.containsKey("textfile_dir")
        ? r.requiredString(m.get("textfile_dir").getValueNode(), "metrics.textfile_dir") : null;
    return new MetricsSpec(listen, dir);
  }

  static LogSpec log(YamlReader r, Map<String, NodeTuple> top) {
    NodeTuple t = top.get("log");
    if (t == null) {
      return LogSpec.defaults();
    }
    Map<String, NodeTuple> m = r.mapping(t.getValueNode(), "log", LOG_KEYS);
    long max = LogSpec.DEFAULT_MAX_SIZE;
    if (m.containsKey("max_size")) {
      String s = r.requiredString(m.get("max_size").getValueNode(), "log.max_size");
      Long b = s == null ? null : parseSize(s);
      if (s != null && (b == null || b <= 0)) {
        r.problem(m.get("max_size").getValueNode(), "log.max_size", "'" + s + "' is not a size such as 10MiB or 500kB");
      } else if (b != null) {
        max = b;
      }
    }
    Integer keep = m.containsKey("keep") ? r.integer(m.get("keep").getValueNode(), "log.keep", 0, 1000) : null;
    return new LogSpec(max, keep == null ? LogSpec.DEFAULT_KEEP : keep);
  }

  /** "10MiB", "500kB", "1GB", "4096"; null when malformed. */
  static Long parseSize(String s) {
    Matcher mt = SIZE.matcher(s.trim());
    if (!mt.matches()) {
      return null;
    }
    long n = Long.parseLong(mt.group(1));
    String unit = mt.group(2) == null ? "B" : mt.group(2);
    long mul = switch (unit) {
      case "kB", "KB" -> 1000L;
      case "KiB" -> 1024L;
      case "MB" -> 1000_000L;
      case "MiB" -> 1024L * 1024;
      case "GB" -> 1000_000_000L;
      case "GiB" -> 1024L * 1024 * 1024;
      default -> 1L;
    };
    return n * mul;
  }

  private static String[] parseListen(String s) {
    return MetricsSpec.parseListen(s);
  }

  static boolean isNull(Node v) {
    return v instanceof ScalarNode s && s.getTag().getValue().endsWith(":null");
  }
}
