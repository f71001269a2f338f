package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Job hooks end to end through {@code holdfast run}: real {@code sh -c} commands write the
 * environment they were given to files, so each test sees what a user's hook would see and in which
 * order the phases ran.
 */
class HooksIT {
  @TempDir Path tmp;
  private Cli cli;
  private Path src;
  private Path target;
  private Path out;

  @BeforeEach
  void setUp() throws Exception {
    cli = new Cli(tmp.resolve("state"));
    src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(11), 30_000);
    target = tmp.resolve("target");
    out = Files.createDirectories(tmp.resolve("hook-out"));
  }

  /** A hook command that writes its HOLDFAST_* variables to {@code out/<file>} and then runs {@code then}. */
  private String capture(String file, String then) {
    return "env | grep '^HOLDFAST_' | sort > " + out.resolve(file) + "; ls -R " + target + " > "
        + out.resolve(file + ".target") + " 2>/dev/null; " + then;
  }

  private Path config(String sources, String before, String after, String onFailure, String timeout)
      throws IOException {
    Path c = tmp.resolve("holdfast.yaml");
    Files.writeString(c, """
        jobs:
          nightly:
            sources: [%s]
            target: %s
            verify: none
            hooks:
              before: [%s]
              after: [%s]
              on_failure: [%s]
              timeout: %s
        """.formatted(sources, target, before, after, onFailure, timeout));
    return c;
  }

  private static String q(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private Map<String, String> env(String file) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    String key = null;
    for (String line : Files.readAllLines(out.resolve(file))) {
      int eq = line.indexOf('=');
      if (line.startsWith("HOLDFAST_") && eq > 0) {
        key = line.substring(0, eq);
        m.put(key, line.substring(eq + 1));
      } else if (key != null) {
        m.put(key, m.get(key) + "\n" + line); // a multi-line value
      }
    }
    return m;
  }

  private List<Path> archives() throws IOException {
    if (!Files.exists(target)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(target)) {
      return s.filter(p -> p.toString().endsWith(".tar.gz")).toList();
    }
  }

  private JsonNode lastRun() throws IOException {
    Cli.Result h = cli.run("history", "--json", "--job", "nightly");
    assertThat(h.exitCode()).as(h.toString()).isZero();
    return new ObjectMapper().readTree(h.out()).get(0);
  }

  private String runLog() throws IOException {
    return Files.readString(tmp.resolve("state/holdfast.log"));
  }

  @Test
  void beforeAndAfterHooksSeeTheRunAndRunInOrder() throws Exception {
    Path c = config(src.toString(), q(capture("before.env", "true")), q(capture("after.env", "true")),
        q(capture("failure.env", "true")), "30s");

    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<Path> archives = archives();
    assertThat(archives).hasSize(1);
    String name = target.relativize(archives.get(0)).toString();
    String host = lastRun().get("host").asText();

    Map<String, String> before = env("before.env");
    assertThat(before).containsEntry("HOLDFAST_JOB", "nightly").containsEntry("HOLDFAST_TARGET", target.toString())
        .containsEntry("HOLDFAST_HOST", host)
        .doesNotContainKeys("HOLDFAST_STATUS", "HOLDFAST_ARCHIVE", "HOLDFAST_ERROR");
    assertThat(Files.readString(out.resolve("before.env.target"))).as("nothing written before the before hook")
        .doesNotContain(".tar.gz");

    Map<String, String> after = env("after.env");
    assertThat(after).containsEntry("HOLDFAST_JOB", "nightly").containsEntry("HOLDFAST_TARGET", target.toString())
        .containsEntry("HOLDFAST_HOST", host).containsEntry("HOLDFAST_STATUS", "SUCCESS")
        .containsEntry("HOLDFAST_ARCHIVE", name).doesNotContainKey("HOLDFAST_ERROR");
    assertThat(Files.readString(out.resolve("after.env.target"))).as("the archive is stored when after runs")
        .contains(archives.get(0).getFileName().toString());
    assertThat(out.resolve("failure.env")).doesNotExist();
    assertThat(runLog()).contains("INFO: before hook: ", "INFO: after hook: ", "SUCCESS: " + name + " stored");
  }

  @Test
  void failingBeforeHookAbortsTheRunAndRunsOnFailureHooks() throws Exception {
    Path c = config(src.toString(), q(capture("before.env", "echo no disk space >&2; exit 7")),
        q(capture("after.env", "true")), q(capture("failure.env", "true")), "30s");

    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("before hook", "failed with exit code 7: no disk space");
    assertThat(archives()).as("no archive published").isEmpty();
    assertThat(out.resolve("after.env")).as("after hooks do not run").doesNotExist();
    Map<String, String> failure = env("failure.env");
    assertThat(failure).containsEntry("HOLDFAST_JOB", "nightly").containsEntry("HOLDFAST_STATUS", "FAILURE")
        .doesNotContainKey("HOLDFAST_ARCHIVE");
    assertThat(failure.get("HOLDFAST_ERROR")).contains("before hook", "exit code 7", "no disk space");
    JsonNode run = lastRun();
    assertThat(run.get("status").asText()).isEqualTo("FAILURE");
    assertThat(run.get("exit_code").asInt()).isEqualTo(1);
    assertThat(run.get("error").asText()).contains("exit code 7");
    assertThat(runLog()).contains("FAILURE: nightly: before hook");

    // the lock was released: the next run, with a hook that passes, stores a backup
    Files.writeString(c, Files.readString(c).replace("exit 7", "true"));
    Cli.Result again = cli.run("--config", c.toString(), "run", "nightly");
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(archives()).hasSize(1);
  }

  @Test
  void hookPastItsTimeoutIsKilledAndFailsTheRun() throws Exception {
    Path pid = out.resolve("sleep.pid");
    Path c = config(src.toString(), q("sleep 60 & echo $! > " + pid + "; wait"), q(capture("after.env", "true")),
        q(capture("failure.env", "true")), "1s");

    long t0 = System.nanoTime();
    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");
    long tookMs = (System.nanoTime() - t0) / 1_000_000;

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("did not finish within 1 s and was killed");
    assertThat(tookMs).as("the hook was not waited for").isLessThan(20_000);
    long sleepPid = Long.parseLong(Files.readString(pid).strip());
    ProcessHandle.of(sleepPid).ifPresent(h -> h.onExit().completeOnTimeout(h, 5, TimeUnit.SECONDS).join());
    assertThat(ProcessHandle.of(sleepPid).map(ProcessHandle::isAlive).orElse(false))
        .as("the hook's child process was killed too (SIGKILL is asynchronous: waited up to 5 s)").isFalse();
    assertThat(archives()).isEmpty();
    assertThat(out.resolve("after.env")).doesNotExist();
    assertThat(env("failure.env").get("HOLDFAST_ERROR")).contains("was killed");
    assertThat(lastRun().get("status").asText()).isEqualTo("FAILURE");
  }

  @Test
  void failedBackupGivesOnFailureTheErrorAndNoArchiveName() throws Exception {
    Path c = config(src + ", {command: {run: \"echo broken pipe >&2; exit 9\", name: dump}}",
        q(capture("before.env", "true")), q(capture("after.env", "true")), q(capture("failure.env", "true")), "30s");

    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(archives()).isEmpty();
    assertThat(out.resolve("after.env")).doesNotExist();
    Map<String, String> failure = env("failure.env");
    assertThat(failure).containsEntry("HOLDFAST_STATUS", "FAILURE")
        .as("no archive was stored, so none is named").doesNotContainKey("HOLDFAST_ARCHIVE");
    assertThat(failure.get("HOLDFAST_ERROR")).contains("broken pipe");
  }

  @Test
  void failingAfterHookFailsTheRunButTheArchiveStaysAndIsNamed() throws Exception {
    Path c = config(src.toString(), q("true"), q("exit 3"), q(capture("failure.env", "exit 5")), "30s");

    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("after hook 'exit 3' failed with exit code 3");
    List<Path> archives = archives();
    assertThat(archives).hasSize(1);
    String name = target.relativize(archives.get(0)).toString();
    Map<String, String> failure = env("failure.env");
    assertThat(failure).containsEntry("HOLDFAST_STATUS", "FAILURE").containsEntry("HOLDFAST_ARCHIVE", name);
    JsonNode run = lastRun();
    assertThat(run.get("status").asText()).isEqualTo("FAILURE");
    // the failing on_failure hook is a warning; the run's error stays the after hook's
    assertThat(run.get("error").asText()).contains("after hook");
    assertThat(runLog()).contains("FAILURE: " + name + " stored, but after hook", "WARNING: on_failure hook");
  }

  @Test
  void afterHooksSeeAPartialRun() throws Exception {
    List<String> prefix = List.of();
    if (Processes.isRoot()) {
      // root reads a mode-000 file anyway: run holdfast without the DAC bypass, as UnreadableFileIT does
      assumeTrue(Processes.onPath("setpriv"), "setpriv (util-linux) is needed to drop root's DAC bypass");
      prefix = List.of("setpriv", "--inh-caps=-dac_override,-dac_read_search",
          "--bounding-set=-dac_override,-dac_read_search");
    }
    Path secret = Trees.randomFile(src.resolve("secret.bin"), new Random(3), 1000);
    Files.setAttribute(secret, "unix:mode", 0);
    Path c = config(src.toString(), q("true"), q(capture("after.env", "true")), q(capture("failure.env", "true")),
        "30s");

    Process run = Processes.startHoldfast(cli, tmp.resolve("child"), prefix, "--config", c.toString(), "run", "nightly");
    assertThat(run.waitFor(2, TimeUnit.MINUTES)).as("run finished").isTrue();

    assertThat(run.exitValue()).as(Files.readString(tmp.resolve("child/stderr.txt"))).isEqualTo(3);
    Map<String, String> after = env("after.env");
    assertThat(after).containsEntry("HOLDFAST_STATUS", "PARTIAL").doesNotContainKey("HOLDFAST_ERROR");
    assertThat(after.get("HOLDFAST_ARCHIVE")).isEqualTo(target.relativize(archives().get(0)).toString());
    assertThat(out.resolve("failure.env")).doesNotExist();
  }

  @Test
  void hookLeavingABackgroundProcessDoesNotHoldUpTheRun() throws Exception {
    Path pid = out.resolve("bg.pid");
    Path c = config(src.toString(), q("echo starting; sleep 30 & echo $! > " + pid), q(capture("after.env", "true")),
        q(capture("failure.env", "true")), "20s");

    long t0 = System.nanoTime();
    Cli.Result r = cli.run("--config", c.toString(), "run", "nightly");
    long tookMs = (System.nanoTime() - t0) / 1_000_000;

    try {
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(tookMs).as("not waiting for the background process's output").isLessThan(8_000);
      assertThat(env("after.env")).containsEntry("HOLDFAST_STATUS", "SUCCESS");
    } finally {
      ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
    }
  }
}
