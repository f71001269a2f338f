package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While another process holds the job's lock (a POSIX record lock taken by python3's
 * {@code fcntl.lockf}, the same kind as Java's {@code FileChannel.tryLock}), a backup of that job
 * to the same target exits 11 saying it is already running and writes nothing, while one to
 * another target runs; once the holder is gone it runs.
 */
class JobLockIT {
  private static final String HOLD_LOCK =
      "import fcntl,sys,time; f=open(sys.argv[1],'a+'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)";

  @TempDir Path tmp;

  /**
   * A second run of a job in the same process (the daemon: a button press while the schedule runs
   * it) is refused without touching the lock file: POSIX locks belong to the process, and closing
   * any descriptor of the file would drop the first run's lock. Another process (python3's lockf)
   * still finds it held; the dashboard's holder() sees it too, and afterwards it is free.
   */
  @Test
  void aSecondAcquireInTheSameProcessKeepsTheFirstLock() throws Exception {
    Path state = tmp.resolve("state");
    String target = tmp.resolve("t").toString();
    try (JobLock first = JobLock.acquire(state, "nightly", target)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> JobLock.acquire(state, "nightly", target))
          .isInstanceOf(dev.holdfast.error.HoldfastException.class).hasMessageContaining("already running");
      assertThat(JobLock.holder(state, "nightly")).isPresent();
      assertThat(JobLock.holder(state, "nightly")).isPresent();
      Path file = state.resolve("locks").resolve(JobLock.fileName("nightly", target));
      Process probe = new ProcessBuilder("python3", "-c",
          "import fcntl,sys; f=open(sys.argv[1],'a+'); fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)", file.toString())
          .redirectErrorStream(true).start();
      assertThat(probe.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(probe.exitValue()).as("another process finds the lock still held").isNotZero();
    }
    assertThat(JobLock.holder(state, "nightly")).isEmpty();
    JobLock.acquire(state, "nightly", target).close();
  }

  @Test
  void aSecondRunOfTheSameJobExits11() throws Exception {
    Path state = tmp.resolve("state");
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(9), 1000);
    Path target = tmp.resolve("target");
    Path lockFile = Files.createDirectories(state.resolve("locks")).resolve(JobLock.fileName("nightly", target.toString()));
    Path otherTarget = tmp.resolve("usb");
    Cli cli = new Cli(state);
    String[] backup = {"backup", "--job-name", "nightly", "--to", target.toString(), src.toString()};

    Process holder = new ProcessBuilder("python3", "-c", HOLD_LOCK, lockFile.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      String line = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (java.io.IOException e) {
          return null;
        }
      }).get(20, TimeUnit.SECONDS);
      assertThat(line).isEqualTo("locked");

      Cli.Result r = cli.run(backup);

      assertThat(r.exitCode()).as(r.toString()).isEqualTo(11);
      assertThat(r.err()).contains("error: job 'nightly' is already running");
      assertThat(r.err()).as("the refusal is in the run log too").containsPattern("\\] FAILURE: nightly: job 'nightly' is already running");
      assertThat(Trees.list(target.resolve("nightly"))).isEmpty();

      // the same job name to another target (two ad-hoc backups from one script) is not held up
      Cli.Result other = cli.run("backup", "--job-name", "nightly", "--to", otherTarget + "/", src.toString());
      assertThat(other.exitCode()).as(other.toString()).isZero();
      assertThat(Trees.list(otherTarget.resolve("nightly"))).isNotEmpty();
      // and a trailing slash names the same target
      assertThat(cli.run("backup", "--job-name", "nightly", "--to", target + "//", src.toString()).exitCode()).isEqualTo(11);
    } finally {
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }

    Cli.Result after = cli.run(backup);
    assertThat(after.exitCode()).as("after the holder died: " + after).isZero();
  }
}
