package dev.holdfast.web;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The dashboard's resolved settings: who may log in, the API's bearer token, how long sessions
 * last. With neither users nor a token, the dashboard serves loopback only and asks no login.
 *
 * @param bearerToken the API token (an admin), or null
 */
public record WebSettings(Map<String, User> users, String bearerToken, Duration sessionTimeout) {
  /** A user who may log in. */
  public record User(String name, PasswordHash password, Role role) {}

  public WebSettings {
    users = Map.copyOf(users);
  }

  public static WebSettings open() {
    return new WebSettings(Map.of(), null, Duration.ofHours(12));
  }

  public static WebSettings of(List<User> users, String bearerToken, Duration sessionTimeout) {
    return new WebSettings(users.stream().collect(Collectors.toMap(User::name, u -> u)), bearerToken, sessionTimeout);
  }

  public boolean authRequired() {
    return !users.isEmpty() || bearerToken != null;
  }

  @Override
  public String toString() {
    return "WebSettings[users=" + users.keySet() + ", token=" + (bearerToken == null ? "none" : "set")
        + ", sessionTimeout=" + sessionTimeout + "]";
  }
}
