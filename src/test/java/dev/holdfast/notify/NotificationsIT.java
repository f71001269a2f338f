package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Notifications end to end from {@code holdfast run}: a real SMTP server (GreenMail) receives the
 * failure mail; a local HTTP server receives the webhook JSON, the healthchecks pings (start, then
 * success or fail) and the ntfy message; dead endpoints leave WARNING lines and the exit code alone.
 */
class NotificationsIT {
  @RegisterExtension
  static final GreenMailExtension MAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

  @TempDir Path tmp;
  private HttpReceiver http;
  private Cli cli;
  private Path src;

  @BeforeEach
  void setUp() throws Exception {
    http = new HttpReceiver();
    cli = new Cli(tmp.resolve("state"));
    src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(7), 20_000);
  }

  @AfterEach
  void tearDown() {
    http.close();
  }

  private Path config(String sources, String notify) throws Exception {
    Path c = tmp.resolve("holdfast.yaml");
    Files.writeString(c, """
        jobs:
          nightly:
            sources: [%s]
            target: %s
            verify: none
            notify:
        %s
        """.formatted(sources, tmp.resolve("target"), notify.indent(6)));
    return c;
  }

  private String everyNotifier(int smtpPort) {
    return """
        - email: {to: [ops@example.org, oncall@example.org], from: holdfast@example.org, smtp_host: 127.0.0.1,
                  smtp_port: %d, starttls: false}
        - webhook: %s
          on: [failure, success]
        - healthchecks: %s
        - ntfy: %s
          on: [failure, success]
        """.formatted(smtpPort, http.url("/hook"), http.url("/ping/abc"), http.url("/backups"));
  }

  @Test
  void failureMailsEveryRecipientAndPostsWebhookHealthchecksAndNtfy() throws Exception {
    String missing = tmp.resolve("missing").toString();
    Path c = config(missing, everyNotifier(MAIL.getSmtp().getPort()));

    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);

    MimeMessage[] mails = MAIL.getReceivedMessages();
    assertThat(mails).hasSize(2); // one delivery per recipient
    MimeMessage mail = mails[0];
    assertThat(mail.getSubject()).isEqualTo("[holdfast] nightly FAILURE");
    assertThat(Arrays.stream(mail.getAllRecipients()).map(Object::toString))
        .containsExactlyInAnyOrder("ops@example.org", "oncall@example.org");
    String body = GreenMailUtil.getBody(mail).replace("\r\n", "\n");
    assertThat(body).contains("Job:      nightly", "Status:   FAILURE", "Backup:   (none stored)",
        "Error:    source path does not exist: " + missing, "Last lines of the run log:",
        "FAILURE: nightly: source path does not exist: " + missing);

    assertThat(http.requests).extracting(HttpReceiver.Request::path)
        .containsExactly("/ping/abc/start", "/hook", "/ping/abc/fail", "/backups");
    HttpReceiver.Request hook = http.requests.get(1);
    assertThat(hook.method()).isEqualTo("POST");
    assertThat(hook.header("Content-Type")).isEqualTo("application/json");
    JsonNode json = new ObjectMapper().readTree(hook.body());
    assertThat(json.get("version").asInt()).isEqualTo(1);
    assertThat(json.get("event").asText()).isEqualTo("failure");
    assertThat(json.get("job").asText()).isEqualTo("nightly");
    assertThat(json.get("status").asText()).isEqualTo("FAILURE");
    assertThat(json.get("exit_code").asInt()).isEqualTo(2);
    assertThat(json.get("error").asText()).contains(missing);
    assertThat(json.get("backup").isNull()).isTrue();
    assertThat(json.get("log_tail")).isNotEmpty();
    HttpReceiver.Request ntfy = http.requests.get(3);
    assertThat(ntfy.header("Title")).isEqualTo("holdfast: nightly FAILURE");
    assertThat(ntfy.header("Priority")).isEqualTo("high");
    assertThat(ntfy.body()).contains("Status:   FAILURE");
  }

  @Test
  void successPingsStartThenSuccessAndMailsNobodyByDefault() throws Exception {
    Path c = config(src.toString(), everyNotifier(MAIL.getSmtp().getPort()));

    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");
    assertThat(r.exitCode()).as(r.toString()).isZero();

    assertThat(MAIL.getReceivedMessages()).isEmpty(); // email defaults to on: [failure]
    assertThat(http.requests).extracting(HttpReceiver.Request::path)
        .containsExactly("/ping/abc/start", "/hook", "/ping/abc", "/backups");
    JsonNode json = new ObjectMapper().readTree(http.requests.get(1).body());
    assertThat(json.get("event").asText()).isEqualTo("success");
    assertThat(json.get("backup").asText()).startsWith("nightly/");
    assertThat(json.get("size_bytes").asLong()).isPositive();
    assertThat(json.get("files").asLong()).isEqualTo(1);
    assertThat(json.get("error").isNull()).isTrue();
  }

  @Test
  void smtpLoginUsesThePasswordFileAndAWrongPasswordIsOnlyAWarning() throws Exception {
    MAIL.setUser("hf@example.org", "hf", "s3cret");
    Path password = tmp.resolve("smtp-password");
    String notify = """
        - email: {to: [ops@example.org], from: hf@example.org, smtp_host: 127.0.0.1, smtp_port: %d, starttls: false,
                  username: hf, password_file: %s}
          on: [success]
        """.formatted(MAIL.getSmtp().getPort(), password);
    Path c = config(src.toString(), notify);

    Files.writeString(password, "wrong\n");
    Cli.Result denied = cli.run("--config", c.toString(), "run", "nightly");
    assertThat(denied.exitCode()).as(denied.toString()).isZero();
    assertThat(MAIL.getReceivedMessages()).isEmpty();
    assertThat(denied.err()).contains("WARNING: notification of nightly success by email to ops@example.org via 127.0.0.1:")
        .doesNotContain("wrong");

    Thread.sleep(1100); // archive names have one-second resolution
    Files.writeString(password, "s3cret\n");
    Cli.Result sent = cli.run("--config", c.toString(), "run", "nightly");
    assertThat(sent.exitCode()).as(sent.toString()).isZero();
    assertThat(MAIL.getReceivedMessages()).singleElement()
        .satisfies(m -> assertThat(m.getSubject()).isEqualTo("[holdfast] nightly SUCCESS"));
  }

  @Test
  void deadEndpointsAreWarningsAndDoNotChangeTheExitCode() throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      dead = s.getLocalPort(); // closed again: connections are refused
    }
    String deadUrl = "http://127.0.0.1:" + dead;
    String notify = """
        - email: {to: [ops@example.org], from: holdfast@example.org, smtp_host: 127.0.0.1, smtp_port: %d, starttls: false}
          on: [success, failure]
        - webhook: %s/hook
          on: [success, failure]
        - healthchecks: %s/ping/abc
        """.formatted(dead, deadUrl, deadUrl);
    Path ok = config(src.toString(), notify);
    Cli.Result r = cli.run("--config", ok.toString(), "run", "nightly");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> log = Files.readAllLines(tmp.resolve("state/holdfast.log"));
    assertThat(log).anyMatch(l -> l.contains("SUCCESS: nightly/"));
    assertThat(log).filteredOn(l -> l.contains("WARNING: notification of nightly")).hasSize(4); // start + 3 successes

    Path failing = config(tmp.resolve("missing").toString(), notify);
    Cli.Result f = cli.run("--config", failing.toString(), "run", "nightly");
    assertThat(f.exitCode()).as(f.toString()).isEqualTo(2);
    assertThat(f.err()).contains("error: source path does not exist");
  }
}
