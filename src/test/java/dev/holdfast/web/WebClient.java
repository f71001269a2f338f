package dev.holdfast.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

/** A browser-like API caller for tests: keeps the session cookie and sends the CSRF token on POST. */
final class WebClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private final WebFixture f;
  String cookie;
  String csrf;
  String bearer;

  WebClient(WebFixture f) {
    this.f = f;
  }

  /** Opens the loopback session (no logins configured) and keeps its cookie and CSRF token. */
  WebClient session() throws Exception {
    HttpResponse<byte[]> r = f.call("GET", "/api/session", null, headers(false));
    keepCookie(r);
    csrf = JSON.readTree(r.body()).path("csrf").asText(null);
    return this;
  }

  WebClient login(String user, String password) throws Exception {
    HttpResponse<byte[]> r = f.call("POST", "/api/login",
        JSON.writeValueAsString(Map.of("user", user, "password", password)), Map.of());
    if (r.statusCode() != 200) {
      throw new AssertionError("login failed: " + r.statusCode() + " " + new String(r.body()));
    }
    keepCookie(r);
    csrf = JSON.readTree(r.body()).path("csrf").asText();
    return this;
  }

  private void keepCookie(HttpResponse<byte[]> r) {
    r.headers().firstValue("Set-Cookie").ifPresent(c -> cookie = c.substring(0, c.indexOf(';')));
  }

  Map<String, String> headers(boolean withCsrf) {
    Map<String, String> h = new HashMap<>();
    if (cookie != null) {
      h.put("Cookie", cookie);
    }
    if (withCsrf && csrf != null) {
      h.put("X-CSRF-Token", csrf);
    }
    if (bearer != null) {
      h.put("Authorization", "Bearer " + bearer);
    }
    return h;
  }

  HttpResponse<byte[]> get(String path) throws Exception {
    return f.call("GET", path, null, headers(false));
  }

  HttpResponse<byte[]> post(String path, Object body) throws Exception {
    return f.call("POST", path, JSON.writeValueAsString(body), headers(true));
  }

  JsonNode getJson(String path) throws Exception {
    return ok(get(path));
  }

  JsonNode postJson(String path, Object body) throws Exception {
    return ok(post(path, body));
  }

  static JsonNode ok(HttpResponse<byte[]> r) throws Exception {
    if (r.statusCode() / 100 != 2) {
      throw new AssertionError(r.request().method() + " " + r.uri() + ": " + r.statusCode() + " " + new String(r.body()));
    }
    return JSON.readTree(r.body());
  }

  static JsonNode json(HttpResponse<byte[]> r) throws Exception {
    return JSON.readTree(r.body());
  }

  /** Waits until the operation has finished; returns it. */
  JsonNode awaitOp(String id) throws Exception {
    long end = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < end) {
      JsonNode op = getJson("/api/ops/" + id);
      if (!op.path("state").asText().equals("running")) {
        return op;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("operation " + id + " did not finish");
  }
}
