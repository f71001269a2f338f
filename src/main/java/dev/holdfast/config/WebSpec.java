package dev.holdfast.config;

import java.time.Duration;
import java.util.List;

/**
 * The top-level {@code web:} settings of the daemon's dashboard, served on {@code metrics.listen}.
 *
 * @param enabled null when not set (served on loopback; skipped elsewhere without authentication)
 * @param tokenFile a file whose first line is the bearer token of the API (an admin), or null
 * @param users dashboard users with salted password hashes
 * @param sessionTimeout how long a login lasts without use
 */
public record WebSpec(Boolean enabled, String tokenFile, List<User> users, Duration sessionTimeout) {
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofHours(12);

  /** One user: {@code passwordHash} as {@code pbkdf2-sha256:ITERATIONS:SALT:HASH} (base64), role admin or read-only. */
  public record User(String name, String passwordHash, String role) {}

  public static WebSpec defaults() {
    return new WebSpec(null, null, List.of(), DEFAULT_SESSION_TIMEOUT);
  }
}
