package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code format: repository} job notifies like an archive job: healthchecks start and success
 * pings around the run, the webhook's JSON names the snapshot; a wrong password is a failure ping
 * and a failure webhook with the exit code 12.
 */
class RepositoryNotificationsIT {
  @TempDir Path tmp;
  private HttpReceiver http;

  @BeforeEach
  void setUp() throws Exception {
    http = new HttpReceiver();
  }

  @AfterEach
  void tearDown() {
    http.close();
  }

  @Test
  void aRepositoryJobPingsAndPostsItsSnapshotAndItsFailures() throws Exception {
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(3), 30_000);
    Path repo = tmp.resolve("repo");
    Path pw = Files.writeString(tmp.resolve("pw"), "notify me\n");
    Path c = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          nightly:
            format: repository
            password_file: %s
            sources: [%s]
            target: %s
            notify:
              - webhook: %s
                on: [failure, success]
              - healthchecks: %s
        """.formatted(pw, src, repo, http.url("/hook"), http.url("/ping/abc")));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result init = cli.run("init", "--to", repo.toString(), "--password-file", pw.toString());
    assertThat(init.exitCode()).as(init.toString()).isZero();

    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(http.requests).extracting(HttpReceiver.Request::path).containsExactly("/ping/abc/start", "/hook", "/ping/abc");
    JsonNode json = new ObjectMapper().readTree(http.requests.get(1).body());
    assertThat(json.get("event").asText()).isEqualTo("success");
    assertThat(json.get("backup").asText()).matches("[0-9a-f]{64}");
    assertThat(json.get("files").asLong()).isEqualTo(1);

    http.requests.clear();
    Files.writeString(pw, "not the password\n");
    Cli.Result failed = cli.run("--config", c.toString(), "run", "nightly");
    assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(12);
    assertThat(http.requests).extracting(HttpReceiver.Request::path).containsExactly("/ping/abc/start", "/hook", "/ping/abc/fail");
    JsonNode fail = new ObjectMapper().readTree(http.requests.get(1).body());
    assertThat(fail.get("event").asText()).isEqualTo("failure");
    assertThat(fail.toString()).contains("wrong password").doesNotContain("not the password");
  }
}
