package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.HoldfastException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard takes new {@code web:} settings on a config reload: sessions the new settings
 * would not let in end, new users and tokens work at once, and settings that would leave a
 * non-loopback listener without login are refused (the old ones stay).
 */
class WebReloadTest {
  private static final String TOKEN = "reload-test-token-0123456789";
  @TempDir Path tmp;
  private WebFixture f;

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
  }

  private static WebSettings.User user(String name, String password, Role role) {
    return new WebSettings.User(name, PasswordHash.create(password.toCharArray()), role);
  }

  @Test
  void aReloadEndsTheSessionsItNoLongerAllowsAndLetsInWhomItAdds() throws Exception {
    WebSettings.User alice = user("alice", "alice-secret", Role.ADMIN);
    WebSettings.User bob = user("bob", "bob-secret", Role.READ_ONLY);
    WebSettings.User carol = user("carol", "carol-secret", Role.ADMIN);
    String host = WebAuthTest.externalAddress();
    f = new WebFixture(tmp, host, WebSettings.of(List.of(alice, bob, carol), TOKEN, Duration.ofHours(1)));
    WebClient a = new WebClient(f).login("alice", "alice-secret");
    WebClient b = new WebClient(f).login("bob", "bob-secret");
    WebClient c = new WebClient(f).login("carol", "carol-secret");
    assertThat(a.get("/api/overview").statusCode()).isEqualTo(200);

    // alice becomes read-only, bob is removed, carol keeps her entry, dave is new; a new token
    WebSettings.User dave = user("dave", "dave-secret", Role.ADMIN);
    f.dashboard.reload(WebSettings.of(List.of(user("alice", "alice-secret", Role.READ_ONLY), carol, dave),
        TOKEN + "-new", Duration.ofHours(1)), host);
    assertThat(a.get("/api/overview").statusCode()).as("a changed role ends the session").isEqualTo(401);
    assertThat(b.get("/api/overview").statusCode()).as("a removed user's session ends").isEqualTo(401);
    assertThat(c.get("/api/overview").statusCode()).as("an unchanged user stays logged in").isEqualTo(200);
    WebClient d = new WebClient(f).login("dave", "dave-secret");
    assertThat(d.get("/api/overview").statusCode()).isEqualTo(200);
    WebClient readOnlyAlice = new WebClient(f).login("alice", "alice-secret");
    assertThat(readOnlyAlice.post("/api/jobs/docs/run", java.util.Map.of()).statusCode()).isEqualTo(403);
    WebClient oldToken = new WebClient(f);
    oldToken.bearer = TOKEN;
    assertThat(oldToken.get("/api/overview").statusCode()).isEqualTo(401);
    oldToken.bearer = TOKEN + "-new";
    assertThat(oldToken.get("/api/overview").statusCode()).isEqualTo(200);

    // no logins at all while listening on a LAN address: refused, nothing changes
    assertThatThrownBy(() -> f.dashboard.reload(WebSettings.open(), host)).isInstanceOf(HoldfastException.class)
        .hasMessageContaining("neither web.users nor web.token_file");
    assertThat(new WebClient(f).get("/api/overview").statusCode()).isEqualTo(401);
    assertThat(d.get("/api/overview").statusCode()).isEqualTo(200);
  }

  @Test
  void onLoopbackLoginsCanBeAddedAndTheAnonymousSessionThenEnds() throws Exception {
    f = new WebFixture(tmp, "127.0.0.1", WebSettings.open());
    WebClient local = new WebClient(f).session();
    assertThat(local.get("/api/overview").statusCode()).isEqualTo(200);
    f.dashboard.reload(WebSettings.of(List.of(user("alice", "alice-secret", Role.ADMIN)), null, Duration.ofHours(1)),
        "127.0.0.1");
    assertThat(local.get("/api/overview").statusCode()).isEqualTo(401);
    assertThat(new WebClient(f).login("alice", "alice-secret").get("/api/overview").statusCode()).isEqualTo(200);
  }
}
