package dev.holdfast.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Loads and validates the YAML config. Every problem is collected and reported as
 * {@code file:line: key.path: problem}; unknown keys are errors, because a typo must never quietly
 * disable part of a backup.
 */
public final class ConfigLoader {
  static final List<String> TOP_KEYS = List.of("state_dir", "log_file", "time_zone", "host", "jobs", "metrics", "log", "web");
  static final List<String> JOB_KEYS =
      List.of("sources", "exclude", "exclude_if_present", "one_file_system", "target", "format",
          "compression", "level", "threads", "name", "hooks", "verify", "offsite", "retention",
          "forget_after_failure", "max_age", "tags", "encryption", "schedule", "randomized_delay", "notify",
          "password_file", "password_env", "retry_lock");
  static final List<String> ENCRYPTION_KEYS =
      List.of("recipients", "passphrase_file", "passphrase_env", "identity_file", "identity_passphrase_file", "required");
  static final List<String> RETENTION_KEYS =
      List.of("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "keep_within");
  static final List<String> OFFSITE_KEYS = List.of("target", "retention");
  /** Options a target may carry besides its url (see docs/targets.md). */
  public static final List<String> TARGET_OPTION_KEYS =
      List.of("identity_file", "identity_passphrase_file", "known_hosts_file", "host_key_policy", "ssh_config_file",
          "connect_timeout", "endpoint", "region", "path_style", "storage_class", "access_key_id_file",
          "secret_access_key_file", "part_size", "limit_upload", "retries");
  static final List<String> HOOK_KEYS = List.of("before", "after", "on_failure", "timeout");
  private static final Pattern JOB_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

  private ConfigLoader() {}

  public static ConfigSpec load(Path file, Map<String, String> env) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw dev.holdfast.error.HoldfastException.usage("config file not found: " + file,
          "create it (see docs/config.md), or pass --config FILE");
    } catch (IOException e) {
      throw dev.holdfast.error.HoldfastException.usage("cannot read config file " + file + ": " + e.getMessage());
    }
    return parse(file, text, env);
  }

  public static ConfigSpec parse(Path file, String text, Map<String, String> env) {
    String name = file.toString();
    YamlReader r = new YamlReader(name, env);
    Node root;
    try (Reader reader = new java.io.StringReader(text)) {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(true); // reported by YamlReader with both lines
      root = new Yaml(options).compose(reader);
    } catch (MarkedYAMLException e) {
      throw new ConfigException(List.of(SyntaxLocation.problem(name, text, e)));
    } catch (YAMLException | IOException e) {
      throw new ConfigException(List.of(new ConfigProblem(name, 1, "(syntax)", e.getMessage())));
    }
    if (root == null) {
      throw new ConfigException(List.of(new ConfigProblem(name, 1, "jobs", "the file is empty; define at least one job")));
    }
    Map<String, NodeTuple> top = r.mapping(root, "", TOP_KEYS);
    String stateDir = opt(top, "state_dir", n -> r.requiredString(n, "state_dir"));
    String logFile = opt(top, "log_file", n -> r.requiredString(n, "log_file"));
    String zone = opt(top, "time_zone", n -> r.requiredString(n, "time_zone"));
    if (zone != null) {
      try {
        java.time.ZoneId.of(zone);
      } catch (java.time.DateTimeException e) {
        r.problem(top.get("time_zone").getValueNode(), "time_zone", "unknown time zone '" + zone + "' (e.g. Europe/Berlin, UTC)");
      }
    }
    String host = opt(top, "host", n -> r.requiredString(n, "host"));
    Map<String, JobSpec> jobs = new LinkedHashMap<>();
    Map<String, Map<String, String>> targetOptions = new LinkedHashMap<>();
    if (!top.containsKey("jobs")) {
      r.problem(root, "jobs", "missing; define at least one job");
    } else {
      Map<String, NodeTuple> jobNodes = r.mapping(top.get("jobs").getValueNode(), "jobs", null);
      if (jobNodes.isEmpty() && r.problems.isEmpty()) {
        r.problem(top.get("jobs").getValueNode(), "jobs", "define at least one job");
      }
      for (var e : jobNodes.entrySet()) {
        String jobName = e.getKey();
        if (!JOB_NAME.matcher(jobName).matches()) {
          r.problem(e.getValue().getKeyNode(), "jobs." + jobName,
              "job names may use letters, digits, '.', '_' and '-' and start with a letter or digit");
        }
        JobSpec job = job(r, jobName, e.getValue(), targetOptions, zone);
        if (job != null) {
          jobs.put(jobName, job);
        }
      }
    }
    MetricsSpec metrics = DaemonKeys.metrics(r, top);
    LogSpec log = DaemonKeys.log(r, top);
    WebSpec web = WebKeys.web(r, top);
    if (!r.problems.isEmpty()) {
      throw new ConfigException(r.problems);
    }
    return new ConfigSpec(file, stateDir, logFile, zone, host, jobs, targetOptions, metrics, log, web);
  }

  /** A target: a url string, or a mapping of url plus options; options are collected by url. */
  private static String target(YamlReader r, Node n, String p, Map<String, Map<String, String>> options) {
    if (n instanceof ScalarNode) {
      return r.requiredString(n, p);
    }
    List<String> allowed = new ArrayList<>();
    allowed.add("url");
    allowed.addAll(TARGET_OPTION_KEYS);
    Map<String, NodeTuple> m = r.mapping(n, p, allowed);
    String url = opt(m, "url", x -> r.requiredString(x, p + ".url"));
    if (url == null) {
      r.problem(n, p + ".url", "missing; e.g. sftp://backup@nas/volume1/backups or s3://bucket/prefix");
      return null;
    }
    Map<String, String> o = new LinkedHashMap<>();
    for (var e : m.entrySet()) {
      if (!e.getKey().equals("url")) {
        String v = r.string(e.getValue().getValueNode(), p + "." + e.getKey());
        if (v != null) {
          o.put(e.getKey(), v);
        }
      }
    }
    Map<String, String> previous = options.putIfAbsent(url, o);
    if (previous != null && !previous.equals(o) && !o.isEmpty()) {
      r.problem(n, p, "target " + url + " is configured elsewhere with other options; give them once");
    }
    return url;
  }

  private static JobSpec job(
      YamlReader r, String name, NodeTuple tuple, Map<String, Map<String, String>> targetOptions, String zone) {
    String p = "jobs." + name;
    Node node = tuple.getValueNode();
    Map<String, NodeTuple> m = r.mapping(node, p, withMirrorKeys(JOB_KEYS));
    int problemsBefore = r.problems.size();
    List<String> sources = opt(m, "sources", n -> SourceItems.read(r, n, p + ".sources"));
    if (sources == null) {
      r.problem(node, p + ".sources", "missing; list the paths to back up");
      sources = List.of();
    } else if (sources.isEmpty() && r.problems.size() == problemsBefore) { // not when it was not a list at all
      r.problem(m.get("sources").getValueNode(), p + ".sources", "must list at least one path");
    }
    List<String> exclude = orEmpty(opt(m, "exclude", n -> r.strings(n, p + ".exclude")));
    List<String> markers = orEmpty(opt(m, "exclude_if_present", n -> r.strings(n, p + ".exclude_if_present")));
    Boolean ofs = opt(m, "one_file_system", n -> r.bool(n, p + ".one_file_system"));
    String target = opt(m, "target", n -> target(r, n, p + ".target", targetOptions));
    if (target == null && !m.containsKey("target")) {
      r.problem(node, p + ".target", "missing; say where backups go (a directory such as /srv/backups)");
    }
    String format = opt(m, "format", n -> r.requiredString(n, p + ".format"));
    if (format != null && !List.of("archive", "mirror", "repository").contains(format)) {
      r.problem(m.get("format").getValueNode(), p + ".format",
          "'" + format + "' is not supported by this version; use: archive, repository or mirror");
    }
    boolean repository = "repository".equals(format);
    String passwordFile = opt(m, "password_file", n -> r.requiredString(n, p + ".password_file"));
    String passwordEnv = opt(m, "password_env", n -> r.requiredString(n, p + ".password_env"));
    if (!repository) {
      for (String k : List.of("password_file", "password_env", "retry_lock")) {
        if (m.containsKey(k)) {
          r.problem(m.get(k).getKeyNode(), p + "." + k, k.equals("retry_lock")
              ? "applies to format: repository (an archive job waits for nothing but its own job lock)"
              : "applies to format: repository (an archive's passphrase goes under encryption:)");
        }
      }
    } else {
      if (passwordEnv != null && !passwordEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        r.problem(m.get("password_env").getValueNode(), p + ".password_env",
            "'" + passwordEnv + "' is not an environment variable name (the name, not the password)");
      }
      if (passwordFile != null && passwordEnv != null) {
        r.problem(m.get("password_env").getKeyNode(), p + ".password_env", "give password_file or password_env, not both");
      }
      for (String k : List.of("compression", "level", "threads", "name", "encryption")) {
        if (m.containsKey(k)) {
          r.problem(m.get(k).getKeyNode(), p + "." + k, "applies to archives only; a repository is always encrypted "
              + "with its password and compresses with zstd, and names its snapshots itself");
        }
      }
      if (m.containsKey("verify") && m.get("verify").getValueNode() instanceof ScalarNode sv
          && "restore-test".equals(sv.getValue())) {
        r.problem(m.get("verify").getValueNode(), p + ".verify", "format: repository supports none, quick or full");
      }
    }
    Duration retryLock = null;
    String rl = opt(m, "retry_lock", n -> r.requiredString(n, p + ".retry_lock"));
    if (rl != null) {
      retryLock = parseDuration(rl);
      if (retryLock == null) {
        r.problem(m.get("retry_lock").getValueNode(), p + ".retry_lock", "'" + rl + "' is not a duration such as 10m or 1h");
      }
    }
    MirrorSpec mirror = MirrorSpec.read(r, m, p, format);
    String compression = opt(m, "compression", n -> r.requiredString(n, p + ".compression"));
    int[] range = {1, 19};
    if (compression != null) {
      switch (compression.toLowerCase(Locale.ROOT)) {
        case "gzip" -> range = new int[] {1, 9};
        case "zstd" -> range = new int[] {1, 19};
        case "none" -> range = new int[] {0, 0};
        default -> r.problem(m.get("compression").getValueNode(), p + ".compression",
            "'" + compression + "' is not one of: gzip, zstd, none");
      }
    } else {
      range = new int[] {1, 9};
    }
    final int[] lv = range;
    Integer level = opt(m, "level", n -> r.integer(n, p + ".level", lv[0], lv[1]));
    Integer threads = opt(m, "threads", n -> r.integer(n, p + ".threads", 1, 256));
    String archiveName = opt(m, "name", n -> r.requiredString(n, p + ".name"));
    if (archiveName != null) {
      dev.holdfast.archive.Compression c = null;
      try {
        c = compression == null ? dev.holdfast.archive.Compression.GZIP
            : dev.holdfast.archive.Compression.parse(compression);
      } catch (IllegalArgumentException ignored) {
        // reported above
      }
      for (String problem : dev.holdfast.archive.ArchiveName.problems(archiveName, c)) {
        r.problem(m.get("name").getValueNode(), p + ".name", problem);
      }
    }
    List<String> before = List.of();
    List<String> after = List.of();
    List<String> onFailure = List.of();
    Duration timeout = Duration.ofMinutes(5);
    if (m.containsKey("hooks")) {
      Map<String, NodeTuple> h = r.mapping(m.get("hooks").getValueNode(), p + ".hooks", HOOK_KEYS);
      before = orEmpty(opt(h, "before", n -> r.strings(n, p + ".hooks.before")));
      after = orEmpty(opt(h, "after", n -> r.strings(n, p + ".hooks.after")));
      onFailure = orEmpty(opt(h, "on_failure", n -> r.strings(n, p + ".hooks.on_failure")));
      String t = opt(h, "timeout", n -> r.requiredString(n, p + ".hooks.timeout"));
      if (t != null) {
        Duration d = parseDuration(t);
        if (d == null || d.isZero()) {
          r.problem(h.get("timeout").getValueNode(), p + ".hooks.timeout",
              "'" + t + "' is not a duration such as 90s, 5m or 1h");
        } else {
          timeout = d;
        }
      }
    }
    String verify = opt(m, "verify", n -> r.requiredString(n, p + ".verify"));
    if (verify != null && !List.of("none", "quick", "full", "restore-test").contains(verify)) {
      r.problem(m.get("verify").getValueNode(), p + ".verify",
          "'" + verify + "' is not one of: none, quick, full, restore-test");
    }
    RetentionSpec retention = m.containsKey("retention")
        ? retention(r, m.get("retention").getValueNode(), p + ".retention") : RetentionSpec.none();
    List<OffsiteSpec> offsite = new ArrayList<>();
    if (m.containsKey("offsite")) {
      Node on = m.get("offsite").getValueNode();
      List<Node> items = on instanceof org.yaml.snakeyaml.nodes.SequenceNode seq ? seq.getValue() : List.of(on);
      int i = 0;
      for (Node item : items) {
        String ip = p + ".offsite[" + i++ + "]";
        if (item instanceof ScalarNode) {
          String t = r.requiredString(item, ip);
          if (t != null) {
            offsite.add(new OffsiteSpec(t, RetentionSpec.none()));
          }
        } else {
          Map<String, NodeTuple> om = r.mapping(item, ip, OFFSITE_KEYS);
          String t = opt(om, "target", n -> target(r, n, ip + ".target", targetOptions));
          if (t == null) {
            r.problem(item, ip + ".target", "missing; say where the copies go");
          }
          if (repository && om.containsKey("retention")) {
            r.problem(om.get("retention").getKeyNode(), ip + ".retention",
                "not supported for format: repository yet (off-site snapshots are kept as copied)");
          }
          RetentionSpec or = om.containsKey("retention")
              ? retention(r, om.get("retention").getValueNode(), ip + ".retention") : RetentionSpec.none();
          if (t != null) {
            offsite.add(new OffsiteSpec(t, or));
          }
        }
      }
    }
    Boolean faf = opt(m, "forget_after_failure", n -> r.bool(n, p + ".forget_after_failure"));
    Duration maxAge = Duration.ofHours(25);
    String ma = opt(m, "max_age", n -> r.requiredString(n, p + ".max_age"));
    if (ma != null) {
      Duration d = parseDuration(ma);
      if (d == null || d.isZero()) {
        r.problem(m.get("max_age").getValueNode(), p + ".max_age", "'" + ma + "' is not a duration such as 25h or 8d");
      } else {
        maxAge = d;
      }
    }
    List<String> tags = orEmpty(opt(m, "tags", n -> r.strings(n, p + ".tags")));
    EncryptionSpec encryption = null;
    if (m.containsKey("encryption")) {
      Node en = m.get("encryption").getValueNode();
      String ep = p + ".encryption";
      Map<String, NodeTuple> em = r.mapping(en, ep, ENCRYPTION_KEYS);
      List<String> recipients = orEmpty(opt(em, "recipients", n -> r.strings(n, ep + ".recipients")));
      String pf = opt(em, "passphrase_file", n -> r.requiredString(n, ep + ".passphrase_file"));
      String pe = opt(em, "passphrase_env", n -> r.requiredString(n, ep + ".passphrase_env"));
      if (pe != null && !pe.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        r.problem(em.get("passphrase_env").getValueNode(), ep + ".passphrase_env",
            "'" + pe + "' is not an environment variable name (the name, not the passphrase)");
      }
      if (pe != null && pf != null) {
        r.problem(em.get("passphrase_env").getKeyNode(), ep + ".passphrase_env", "give passphrase_file or passphrase_env, not both");
      }
      String idf = opt(em, "identity_file", n -> r.requiredString(n, ep + ".identity_file"));
      String idpf = opt(em, "identity_passphrase_file", n -> r.requiredString(n, ep + ".identity_passphrase_file"));
      Boolean req = opt(em, "required", n -> r.bool(n, ep + ".required"));
      boolean required = req == null || req;
      if (required && recipients.isEmpty() && pf == null && pe == null) {
        r.problem(en, ep, "required, but neither recipients (public key files) nor passphrase_file/passphrase_env is given");
      }
      encryption = new EncryptionSpec(recipients, pf, pe, idf, idpf, required);
    }
    return new JobSpec(name, YamlReader.line(tuple.getKeyNode()), sources, exclude, markers,
        ofs != null && ofs, target, format == null ? "archive" : format, compression, level, threads,
        archiveName, before, after, onFailure, timeout, verify == null ? "quick" : verify, offsite, retention,
        faf != null && faf, maxAge, tags, encryption, DaemonKeys.schedule(r, m, p, zone),
        DaemonKeys.randomizedDelay(r, m, p), DaemonKeys.notifiers(r, m, p), mirror,
        passwordFile, passwordEnv, retryLock);
  }

  private static List<String> withMirrorKeys(List<String> keys) {
    List<String> all = new ArrayList<>(keys);
    all.addAll(MirrorSpec.KEYS);
    return all;
  }

  private static RetentionSpec retention(YamlReader r, Node node, String p) {
    Map<String, NodeTuple> m = r.mapping(node, p, RETENTION_KEYS);
    int[] v = new int[6];
    String[] keys = {"keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"};
    for (int i = 0; i < keys.length; i++) {
      String k = keys[i];
      Integer x = opt(m, k, n -> r.integer(n, p + "." + k, 0, 1_000_000));
      v[i] = x == null ? 0 : x;
    }
    String within = opt(m, "keep_within", n -> r.requiredString(n, p + ".keep_within"));
    if (within != null && !within.matches("(\\d+[ymdh])+")) {
      r.problem(m.get("keep_within").getValueNode(), p + ".keep_within",
          "'" + within + "' is not a duration such as 30d, 6m (months), 1y or 1y6m");
    }
    return new RetentionSpec(v[0], v[1], v[2], v[3], v[4], v[5], within);
  }

  /** "90s", "5m", "1h", "2d", "500ms"; a bare number is seconds. Null when malformed. */
  public static Duration parseDuration(String s) {
    Matcher mt = DURATION.matcher(s.trim());
    if (!mt.matches()) {
      return null;
    }
    long n = Long.parseLong(mt.group(1));
    String unit = mt.group(2) == null ? "s" : mt.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  private static <T> T opt(Map<String, NodeTuple> m, String key, java.util.function.Function<Node, T> read) {
    NodeTuple t = m.get(key);
    if (t == null) {
      return null;
    }
    Node v = t.getValueNode();
    if (v instanceof ScalarNode s && s.getTag().getValue().endsWith(":null")) {
      return null;
    }
    return read.apply(v);
  }

  private static List<String> orEmpty(List<String> l) {
    return l == null ? List.of() : new ArrayList<>(l);
  }
}
