package dev.holdfast.config;

/**
 * The top-level {@code metrics:} settings.
 *
 * @param listen host:port the daemon serves /metrics on (null: the default)
 * @param textfileDir where backup and run write a node-exporter textfile (null: nowhere)
 */
public record MetricsSpec(String listen, String textfileDir) {
  public static final String DEFAULT_LISTEN = "127.0.0.1:9485";
  private static final java.util.regex.Pattern LISTEN = java.util.regex.Pattern.compile("(.*):(\\d{1,5})");

  /** {@code host:port} as {host, port}; null when malformed. An empty host means every address. */
  public static String[] parseListen(String s) {
    java.util.regex.Matcher mt = LISTEN.matcher(s.trim());
    if (!mt.matches() || Integer.parseInt(mt.group(2)) > 65535) {
      return null;
    }
    String host = mt.group(1).replaceAll("^\\[|]$", "");
    return new String[] {host.isEmpty() ? "0.0.0.0" : host, mt.group(2)};
  }

  public static MetricsSpec none() {
    return new MetricsSpec(null, null);
  }
}
