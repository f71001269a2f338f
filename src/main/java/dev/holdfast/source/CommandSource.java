package dev.holdfast.source;

import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The standard output of a command (run by {@code sh -c}) as one entry, {@code commands/<name>};
 * a non-zero exit or running past the timeout fails the backup with the command's stderr.
 */
public final class CommandSource implements Source {
  private final String run;
  private final String name;
  private final Duration timeout;

  public CommandSource(String run, String name, Duration timeout) {
    if (name.contains("/") || name.equals("..") || name.equals(".") || name.isEmpty()) {
      throw HoldfastException.usage("command source name '" + name + "' must be a plain file name, e.g. redis.rdb");
    }
    this.run = run;
    this.name = name;
    this.timeout = timeout;
  }

  /** {@code command:<name>?run=<command>&timeout=10m}, as the config writes a command mapping. */
  public static CommandSource parse(String uri) {
    String rest = uri.substring("command:".length());
    int q = rest.indexOf('?');
    String name = URLDecoder.decode(q < 0 ? rest : rest.substring(0, q), StandardCharsets.UTF_8);
    String run = null;
    Duration timeout = null;
    for (String kv : q < 0 ? new String[0] : rest.substring(q + 1).split("&")) {
      int eq = kv.indexOf('=');
      String k = eq < 0 ? kv : kv.substring(0, eq);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      switch (k) {
        case "run" -> run = v;
        case "timeout" -> timeout = duration(v);
        default -> throw HoldfastException.usage(uri + ": unknown parameter " + k);
      }
    }
    if (run == null) {
      throw HoldfastException.usage(uri + ": no command to run");
    }
    return new CommandSource(run, name, timeout);
  }

  private static Duration duration(String v) {
    var m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h)?").matcher(v.trim());
    if (!m.matches()) {
      throw HoldfastException.usage("'" + v + "' is not a duration such as 90s or 10m");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? "s" : m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
  }

  @Override
  public String name() {
    return "command " + name + " (" + run + ")";
  }

  @Override
  public void check() {}

  @Override
  public Stream<Entry> entries(EventSink events) {
    Instant now = Instant.now();
    return Stream.of(
        new Entry("commands/" + name, Entry.Kind.FILE, -1, 0600, now, 0, 0, "", "", null,
            () -> ChildOutput.start(List.of("sh", "-c", run), Map.of(), timeout, null)));
  }
}
