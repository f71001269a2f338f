package dev.holdfast.backend;

import dev.holdfast.error.HoldfastException;

/**
 * Where an SFTP target lives, as the user wrote it: an optional user, a host (or a Host alias of
 * ~/.ssh/config), an optional port and the base path on the server.
 *
 * @param user the login name, or null to take it from ~/.ssh/config or the local user
 * @param host a host name, an IP address (IPv6 without brackets) or a ~/.ssh/config alias
 * @param port the TCP port, or 0 to take it from ~/.ssh/config or use 22
 * @param path the base path; absolute, or relative to the login's home directory
 */
public record SftpTarget(String user, String host, int port, String path) {
  public static final int DEFAULT_PORT = 22;

  public SftpTarget {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("SFTP target without a host");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("invalid SFTP port " + port);
    }
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("SFTP target without a path");
    }
  }

  /**
   * Parses {@code sftp://[user@]host[:port]/path} or restic's {@code sftp:[user@]host:path}.
   *
   * <p>In the URL form the path is absolute, as in the IETF draft "URI Scheme for SFTP" (§3); a
   * first segment {@code ~} makes it relative to the home directory ({@code sftp://nas/~/backups}),
   * and restic's double slash ({@code sftp://nas//srv/backups}) is read as one. In restic's short
   * form the path is taken as written: absolute with a leading slash, else relative to the home
   * directory; it has no port, as in restic (set one in ~/.ssh/config or use the URL form).
   */
  public static SftpTarget parse(String spec) {
    if (spec == null) {
      throw invalid("null", "it is empty");
    }
    String s = spec.strip();
    if (s.startsWith("sftp://")) {
      return parseUrl(spec, s.substring("sftp://".length()));
    }
    if (s.startsWith("sftp:")) {
      return parseShort(spec, s.substring("sftp:".length()));
    }
    throw invalid(spec, "it does not start with sftp:// or sftp:");
  }

  private static SftpTarget parseUrl(String spec, String rest) {
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw invalid(spec, "it has no path after the host");
    }
    String authority = rest.substring(0, slash);
    String path = rest.substring(slash);
    if (path.startsWith("//")) {
      path = path.substring(1); // restic's sftp://host//abs/path
    }
    if (path.equals("/~") || path.startsWith("/~/")) {
      path = path.length() <= 3 ? "" : path.substring(3);
    }
    path = trimTrailingSlashes(path);
    if (path.isEmpty() || path.equals("/")) {
      throw invalid(spec, "it names no directory; give a path such as /srv/backups");
    }

    String user = null;
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      user = checkUser(spec, authority.substring(0, at));
      authority = authority.substring(at + 1);
    }
    String host;
    int port = 0;
    String portText = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw invalid(spec, "the IPv6 address has no closing ']'");
      }
      host = authority.substring(1, close);
      String after = authority.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          throw invalid(spec, "unexpected '" + after + "' after the IPv6 address");
        }
        portText = after.substring(1);
      }
    } else {
      int colon = authority.indexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      portText = colon < 0 ? null : authority.substring(colon + 1);
    }
    if (portText != null) {
      port = parsePort(spec, portText);
    }
    return new SftpTarget(user, checkHost(spec, host), port, path);
  }

  private static SftpTarget parseShort(String spec, String rest) {
    if (rest.startsWith("//")) {
      throw invalid(spec, "write sftp://host/path or sftp:host:/path");
    }
    String user = null;
    String hostAndPath = rest;
    int at = rest.indexOf('@');
    int firstColon = rest.indexOf(':');
    if (at >= 0 && (firstColon < 0 || at < firstColon)) {
      user = checkUser(spec, rest.substring(0, at));
      hostAndPath = rest.substring(at + 1);
    }
    String host;
    String path;
    if (hostAndPath.startsWith("[")) {
      int close = hostAndPath.indexOf(']');
      if (close < 0 || close + 1 >= hostAndPath.length() || hostAndPath.charAt(close + 1) != ':') {
        throw invalid(spec, "expected sftp:[user@][address]:path");
      }
      host = hostAndPath.substring(1, close);
      path = hostAndPath.substring(close + 2);
    } else {
      int colon = hostAndPath.indexOf(':');
      if (colon < 0) {
        throw invalid(spec, "expected sftp:[user@]host:path (a colon between host and path)");
      }
      host = hostAndPath.substring(0, colon);
      path = hostAndPath.substring(colon + 1);
    }
    path = trimTrailingSlashes(path);
    if (path.isEmpty() || path.equals("/")) {
      throw invalid(spec, "it names no directory; give a path such as sftp:host:/srv/backups");
    }
    return new SftpTarget(user, checkHost(spec, host), 0, path);
  }

  private static String trimTrailingSlashes(String path) {
    int end = path.length();
    while (end > 1 && path.charAt(end - 1) == '/') {
      end--;
    }
    return path.substring(0, end);
  }

  private static String checkUser(String spec, String user) {
    if (user.isEmpty()) {
      throw invalid(spec, "the user name before '@' is empty");
    }
    if (user.indexOf(':') >= 0) {
      throw HoldfastException.usage(
          "invalid SFTP target '" + redact(spec) + "': passwords in the target are not supported",
          "authenticate with a key: set identity_file (and a passphrase file if the key has one)");
    }
    for (char c : user.toCharArray()) {
      if (Character.isWhitespace(c) || c == '/' || c == '@') {
        throw invalid(spec, "the user name contains '" + c + "'");
      }
    }
    return user;
  }

  private static String checkHost(String spec, String host) {
    if (host.isEmpty()) {
      throw invalid(spec, "the host is empty");
    }
    for (char c : host.toCharArray()) {
      if (Character.isWhitespace(c) || c == '/' || c == '@' || c == '[' || c == ']') {
        throw invalid(spec, "the host contains '" + c + "'");
      }
    }
    return host;
  }

  private static int parsePort(String spec, String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(spec, "the port '" + text + "' is not a number from 1 to 65535");
  }

  private static HoldfastException invalid(String spec, String why) {
    return HoldfastException.usage(
        "invalid SFTP target '" + redact(spec) + "': " + why,
        "write sftp://user@host:port/absolute/path or sftp:user@host:/path");
  }

  /** Hides a password someone put into a target, so it never reaches a message or a log. */
  private static String redact(String spec) {
    return spec.replaceAll("(sftp:(?://)?[^@/:\\[]*):[^@/]*@", "$1:***@");
  }

  /**
   * The target as a URL that {@link #parse} reads back; a relative base path is shown under
   * {@code /~/}. The user and port are left out when null or 0.
   */
  public static String url(String user, String host, int port, String path) {
    var sb = new StringBuilder("sftp://");
    if (user != null) {
      sb.append(user).append('@');
    }
    sb.append(host.indexOf(':') >= 0 ? "[" + host + "]" : host);
    if (port != 0) {
      sb.append(':').append(port);
    }
    return sb.append(path.startsWith("/") ? path : "/~/" + path).toString();
  }

  @Override
  public String toString() {
    return url(user, host, port, path);
  }
}
