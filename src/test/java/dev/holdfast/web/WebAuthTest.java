package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.testkit.Processes;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's access rules on a real listener bound to this machine's non-loopback address
 * (so requests really come from elsewhere than 127.0.0.1): bearer token, logins with expiring
 * sessions, CSRF tokens, the read-only role, and the loopback-only rule without logins.
 */
class WebAuthTest {
  private static final String TOKEN = "t0ken-for-tests-0123456789abcdef";
  @TempDir Path tmp;
  private WebFixture f;

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
  }

  /** An IPv4 address of this machine that is not loopback (the test needs one to mean anything). */
  static String externalAddress() throws Exception {
    for (NetworkInterface n : NetworkInterface.networkInterfaces().toList()) {
      if (!n.isUp() || n.isLoopback()) {
        continue;
      }
      for (InetAddress a : n.inetAddresses().toList()) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
          return a.getHostAddress();
        }
      }
    }
    throw new AssertionError("this machine has no non-loopback IPv4 address to test remote access with");
  }

  private WebFixture secured(Duration sessions) throws Exception {
    WebSettings s = WebSettings.of(List.of(
        new WebSettings.User("alice", PasswordHash.create("alice-secret".toCharArray()), Role.ADMIN),
        new WebSettings.User("bob", PasswordHash.create("bob-secret".toCharArray()), Role.READ_ONLY)), TOKEN, sessions);
    f = new WebFixture(tmp, externalAddress(), s);
    f.backup();
    return f;
  }

  @Test
  void withoutATokenANonLoopbackRequestGets401AndIsLogged() throws Exception {
    secured(Duration.ofHours(1));
    WebClient anon = new WebClient(f);
    for (String p : List.of("/api/overview", "/api/jobs/docs", "/api/fleet", "/api/live")) {
      assertThat(anon.get(p).statusCode()).as(p).isEqualTo(401);
    }
    assertThat(anon.post("/api/jobs/docs/run", Map.of()).statusCode()).isEqualTo(401);
    assertThat(f.logText()).contains("WARNING: web: refused GET /api/overview from " + externalAddress() + ": 401");
    // what a login page needs stays reachable, and says a login is needed
    JsonNode s = WebClient.ok(anon.get("/api/session"));
    assertThat(s.path("auth_required").asBoolean()).isTrue();
    assertThat(s.path("authenticated").asBoolean()).isFalse();
    assertThat(s.has("csrf")).isFalse();
    assertThat(anon.get("/").statusCode()).isEqualTo(200);
    assertThat(anon.get("/api/openapi.json").statusCode()).isEqualTo(200);
  }

  @Test
  void theBearerTokenFromItsFileOpensTheApiAndAWrongOneDoesNot() throws Exception {
    secured(Duration.ofHours(1));
    WebClient api = new WebClient(f);
    api.bearer = TOKEN;
    assertThat(api.get("/api/overview").statusCode()).isEqualTo(200);
    HttpResponse<byte[]> run = api.post("/api/jobs/docs/run", Map.of());
    assertThat(run.statusCode()).as("a bearer token is not ambient: no CSRF token needed").isEqualTo(202);
    api.awaitOp(WebClient.json(run).path("id").asText());
    api.bearer = TOKEN + "x";
    assertThat(api.get("/api/overview").statusCode()).isEqualTo(401);
    api.bearer = "";
    assertThat(api.get("/api/overview").statusCode()).isEqualTo(401);
    assertThat(f.logText()).doesNotContain(TOKEN);
  }

  @Test
  void aLoggedInSessionNeedsTheCsrfTokenOnEveryPost() throws Exception {
    secured(Duration.ofHours(1));
    WebClient alice = new WebClient(f).login("alice", "alice-secret");
    assertThat(alice.get("/api/overview").statusCode()).isEqualTo(200);
    String csrf = alice.csrf;
    alice.csrf = null;
    HttpResponse<byte[]> missing = alice.post("/api/jobs/docs/run", Map.of());
    assertThat(missing.statusCode()).isEqualTo(403);
    assertThat(new String(missing.body())).contains("CSRF");
    alice.csrf = "wrong";
    assertThat(alice.post("/api/jobs/docs/verify", Map.of()).statusCode()).isEqualTo(403);
    assertThat(alice.post("/api/jobs/docs/forget", Map.of("dry_run", true)).statusCode()).isEqualTo(403);
    assertThat(alice.post("/api/jobs/docs/restore/preview", Map.of()).statusCode()).isEqualTo(403);
    assertThat(f.logText()).contains("403 missing or wrong CSRF token");
    alice.csrf = csrf;
    HttpResponse<byte[]> ok = alice.post("/api/jobs/docs/run", Map.of());
    assertThat(ok.statusCode()).isEqualTo(202);
    alice.awaitOp(WebClient.json(ok).path("id").asText());
    // a form post from another site cannot send JSON without a preflight, which is never allowed
    HttpResponse<byte[]> form = f.call("POST", "/api/jobs/docs/run", null,
        Map.of("Cookie", alice.cookie, "X-CSRF-Token", csrf, "Content-Type", "application/x-www-form-urlencoded"));
    assertThat(form.statusCode()).isEqualTo(415);
    // logging out ends the session
    alice.post("/api/logout", Map.of());
    assertThat(alice.get("/api/overview").statusCode()).isEqualTo(401);
  }

  @Test
  void aReadOnlyUserSeesEverythingButCannotRunDownloadRestoreOrForget() throws Exception {
    secured(Duration.ofHours(1));
    WebClient bob = new WebClient(f).login("bob", "bob-secret");
    assertThat(bob.get("/api/overview").statusCode()).isEqualTo(200);
    JsonNode job = WebClient.ok(bob.get("/api/jobs/docs"));
    String backup = job.path("targets").get(0).path("backups").get(0).path("id").asText();
    assertThat(bob.get("/api/jobs/docs/targets/0/tree?backup=" + backup).statusCode()).isEqualTo(200);
    HttpResponse<byte[]> run = bob.post("/api/jobs/docs/run", Map.of());
    assertThat(run.statusCode()).isEqualTo(403);
    assertThat(new String(run.body())).contains("read-only");
    assertThat(bob.post("/api/jobs/docs/verify", Map.of()).statusCode()).isEqualTo(403);
    assertThat(bob.post("/api/jobs/docs/forget", Map.of("dry_run", true)).statusCode()).isEqualTo(403);
    assertThat(bob.post("/api/jobs/docs/restore/preview", Map.of("backup", backup)).statusCode()).isEqualTo(403);
    assertThat(bob.get("/api/jobs/docs/targets/0/download?backup=" + backup + "&path=").statusCode()).isEqualTo(403);
    assertThat(WebClient.ok(bob.get("/api/jobs/docs")).path("runs")).hasSize(1);
    assertThat(f.logText()).contains("403 user 'bob' is read-only");
  }

  @Test
  void aWrongPasswordOrUnknownUserGets401() throws Exception {
    secured(Duration.ofHours(1));
    for (var creds : List.of(Map.of("user", "alice", "password", "nope"), Map.of("user", "mallory", "password", "x"))) {
      HttpResponse<byte[]> r = f.call("POST", "/api/login", WebClient.JSON.writeValueAsString(creds), Map.of());
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
    }
    assertThat(f.logText()).contains("401 wrong user or password").doesNotContain("alice-secret");
  }

  @Test
  void tooManyFailedLoginsFromOneAddressAreRefusedForAWhile() throws Exception {
    secured(Duration.ofHours(1));
    String bad = WebClient.JSON.writeValueAsString(java.util.Map.of("user", "alice", "password", "guess"));
    for (int i = 0; i < Access.MAX_FAILURES; i++) {
      assertThat(f.call("POST", "/api/login", bad, Map.of()).statusCode()).isEqualTo(401);
    }
    String good = WebClient.JSON.writeValueAsString(java.util.Map.of("user", "alice", "password", "alice-secret"));
    assertThat(f.call("POST", "/api/login", good, Map.of()).statusCode()).as("even the right password, for now").isEqualTo(429);
    assertThat(f.logText()).contains("429 too many failed logins");
    // the token still works: it is not a password to guess
    WebClient api = new WebClient(f);
    api.bearer = TOKEN;
    assertThat(api.get("/api/overview").statusCode()).isEqualTo(200);
  }

  @Test
  void behindATlsProxyTheSessionCookieIsSecure() throws Exception {
    secured(Duration.ofHours(1));
    String good = WebClient.JSON.writeValueAsString(java.util.Map.of("user", "alice", "password", "alice-secret"));
    HttpResponse<byte[]> plain = f.call("POST", "/api/login", good, Map.of());
    assertThat(plain.headers().firstValue("Set-Cookie").orElseThrow()).doesNotContain("Secure");
    HttpResponse<byte[]> tls = f.call("POST", "/api/login", good, Map.of("X-Forwarded-Proto", "https"));
    assertThat(tls.headers().firstValue("Set-Cookie").orElseThrow()).contains("HttpOnly", "SameSite=Strict", "Secure");
  }

  @Test
  void sessionsExpireWhenIdle() throws Exception {
    secured(Duration.ofSeconds(1));
    WebClient alice = new WebClient(f).login("alice", "alice-secret");
    assertThat(alice.get("/api/overview").statusCode()).isEqualTo(200);
    Thread.sleep(1500);
    assertThat(alice.get("/api/overview").statusCode()).isEqualTo(401);
  }

  @Test
  void withoutLoginsOnlyLoopbackIsServedAndOnlyUnderALoopbackName() throws Exception {
    assertThat(Dashboard.safeToServe(externalAddress(), WebSettings.open())).isFalse();
    assertThat(Dashboard.safeToServe("0.0.0.0", WebSettings.open())).isFalse();
    assertThat(Dashboard.safeToServe("127.0.0.1", WebSettings.open())).isTrue();
    // served elsewhere anyway (the daemon would refuse to): every request from elsewhere is refused
    f = new WebFixture(tmp, "0.0.0.0", WebSettings.open());
    HttpResponse<byte[]> r = f.call("GET", "/api/overview", null, Map.of());
    assertThat(r.statusCode()).isGreaterThan(0);
    String ext = externalAddress();
    try (Socket s = new Socket(ext, f.server.port())) {
      assertThat(rawGet(s, "/api/overview", ext)).startsWith("HTTP/1.1 403");
    }
    // a page of another site that resolves its own name to 127.0.0.1 (DNS rebinding) is refused too
    try (Socket s = new Socket("127.0.0.1", f.server.port())) {
      assertThat(rawGet(s, "/api/overview", "evil.example:" + f.server.port())).startsWith("HTTP/1.1 403");
    }
    try (Socket s = new Socket("127.0.0.1", f.server.port())) {
      assertThat(rawGet(s, "/api/overview", "localhost:" + f.server.port())).startsWith("HTTP/1.1 200");
    }
    // a POST from loopback without the session's CSRF token is refused as well
    try (Socket s = new Socket("127.0.0.1", f.server.port())) {
      s.getOutputStream().write(("POST /api/jobs/docs/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 2\r\nConnection: close\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).startsWith("HTTP/1.1 403");
    }
  }

  private static String rawGet(Socket s, String path, String host) throws Exception {
    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void passwordHashesMatchPythonsPbkdf2AndRejectOtherPasswords() throws Exception {
    PasswordHash h = PasswordHash.create("correct horse".toCharArray());
    assertThat(h.matches("correct horse".toCharArray())).isTrue();
    assertThat(h.matches("correct horsf".toCharArray())).isFalse();
    assertThat(PasswordHash.parse(h.toString()).matches("correct horse".toCharArray())).isTrue();
    // the documented way to make a hash without Holdfast: Python's hashlib
    Path script = tmp.resolve("hash.py");
    Files.writeString(script, """
        import base64, hashlib
        salt = b"0123456789abcdef"
        dk = hashlib.pbkdf2_hmac("sha256", b"s3cret pass", salt, 1000)
        print("pbkdf2-sha256:1000:" + base64.b64encode(salt).decode() + ":" + base64.b64encode(dk).decode())
        """);
    Processes.Result py = Processes.run(tmp, List.of("python3", script.toString()));
    assertThat(py.exitCode()).as(py.toString()).isZero();
    PasswordHash fromPython = PasswordHash.parse(py.out().strip());
    assertThat(fromPython.matches("s3cret pass".toCharArray())).isTrue();
    assertThat(fromPython.matches("s3cret pas".toCharArray())).isFalse();
  }
}
