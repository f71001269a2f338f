package dev.holdfast.web;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is asking: bearer token, session cookie (from a login, or, when no login is configured, an
 * anonymous loopback session that carries the CSRF token), with idle expiry.
 */
final class Access {
  static final String COOKIE = "holdfast_session";

  /** A browser session; {@code csrf} must come back in the X-CSRF-Token header of every POST. */
  static final class Session {
    final String id;
    final String user;
    final Role role;
    final String csrf;
    /** The password hash the user logged in with (null for the loopback session without logins). */
    final PasswordHash password;
    final boolean anonymous;
    volatile Instant expires;

    Session(String id, String user, Role role, String csrf, Instant expires, PasswordHash password, boolean anonymous) {
      this.id = id;
      this.user = user;
      this.role = role;
      this.csrf = csrf;
      this.expires = expires;
      this.password = password;
      this.anonymous = anonymous;
    }
  }

  /** An authenticated caller; {@code session} is null for bearer-token requests (no CSRF needed: not ambient). */
  record Principal(String user, Role role, Session session) {}

  private volatile WebSettings settings;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private volatile byte[] tokenDigest;
  private final Map<String, java.util.Deque<Instant>> failures = new ConcurrentHashMap<>();
  static final int MAX_FAILURES = 10;
  static final java.time.Duration FAILURE_WINDOW = java.time.Duration.ofMinutes(10);

  Access(WebSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.tokenDigest = settings.bearerToken() == null ? null : sha256(settings.bearerToken());
  }

  /**
   * Takes new settings (a config reload): sessions survive only where the new settings would have
   * let them in as they are, a user still configured with the same password hash and role, or the
   * loopback session while no login is configured.
   */
  synchronized void update(WebSettings next) {
    tokenDigest = next.bearerToken() == null ? null : sha256(next.bearerToken());
    settings = next;
    sessions.values().removeIf(s -> {
      if (s.anonymous) {
        return next.authRequired();
      }
      WebSettings.User u = next.users().get(s.user);
      return u == null || u.role() != s.role || !s.password.sameAs(u.password());
    });
  }

  boolean authRequired() {
    return settings.authRequired();
  }

  /** The caller of a request with these headers, if any. */
  Optional<Principal> principal(String authorization, String cookieHeader) {
    if (authorization != null) {
      if (tokenDigest != null && authorization.startsWith("Bearer ")
          && MessageDigest.isEqual(tokenDigest, sha256(authorization.substring(7).strip()))) {
        return Optional.of(new Principal("token", Role.ADMIN, null));
      }
      return Optional.empty();
    }
    return session(cookieHeader).map(s -> new Principal(s.user, s.role, s));
  }

  /** The live session named by the cookie; touching it extends its expiry. */
  Optional<Session> session(String cookieHeader) {
    String id = cookie(cookieHeader, COOKIE);
    if (id == null) {
      return Optional.empty();
    }
    Session s = sessions.get(id);
    Instant now = clock.instant();
    if (s == null) {
      return Optional.empty();
    }
    if (now.isAfter(s.expires)) {
      sessions.remove(id);
      return Optional.empty();
    }
    s.expires = now.plus(settings.sessionTimeout());
    return Optional.of(s);
  }

  /** A session for a user whose password matches; empty otherwise (the same answer for an unknown user). */
  Optional<Session> login(String user, char[] password) {
    WebSettings.User u = user == null ? null : settings.users().get(user);
    if (u == null) {
      // spend the same time, so response times do not reveal which names exist
      PasswordHash.create(password);
      return Optional.empty();
    }
    if (!u.password().matches(password)) {
      return Optional.empty();
    }
    return Optional.of(newSession(u.name(), u.role(), u.password(), false));
  }

  /** Without configured logins, the loopback caller's session (for its CSRF token); an admin. */
  Session anonymous() {
    return newSession("local", Role.ADMIN, null, true);
  }

  /** Whether {@code address} failed to log in too often lately to be let try again now. */
  boolean throttled(String address) {
    java.util.Deque<Instant> d = failures.get(address);
    if (d == null) {
      return false;
    }
    synchronized (d) {
      Instant since = clock.instant().minus(FAILURE_WINDOW);
      while (!d.isEmpty() && d.peekFirst().isBefore(since)) {
        d.removeFirst();
      }
      return d.size() >= MAX_FAILURES;
    }
  }

  void failed(String address) {
    java.util.Deque<Instant> d = failures.computeIfAbsent(address, a -> new java.util.ArrayDeque<>());
    synchronized (d) {
      d.addLast(clock.instant());
      while (d.size() > MAX_FAILURES) {
        d.removeFirst();
      }
    }
  }

  void logout(Session s) {
    sessions.remove(s.id);
  }

  /** The session cookie; {@code secure} when the page came over HTTPS (a TLS proxy says so). */
  String cookieFor(Session s, boolean secure) {
    return COOKIE + "=" + s.id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + settings.sessionTimeout().toSeconds()
        + (secure ? "; Secure" : "");
  }

  static String clearedCookie() {
    return COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  }

  private Session newSession(String user, Role role, PasswordHash password, boolean anonymous) {
    Instant now = clock.instant();
    sessions.values().removeIf(s -> now.isAfter(s.expires));
    Session s = new Session(randomToken(), user, role, randomToken(), now.plus(settings.sessionTimeout()), password,
        anonymous);
    sessions.put(s.id, s);
    return s;
  }

  String randomToken() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static boolean sameToken(String a, String b) {
    return a != null && b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  static String cookie(String header, String name) {
    if (header == null) {
      return null;
    }
    for (String part : header.split(";")) {
      String p = part.strip();
      if (p.startsWith(name + "=")) {
        return p.substring(name.length() + 1);
      }
    }
    return null;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
