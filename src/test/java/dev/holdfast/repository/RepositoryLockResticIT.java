package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.LocalBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locks between holdfast and the real restic binary: restic's lock left by a killed process and
 * an old one are cleared by our next backup; a live lock gives exit 11 unless --retry-lock outlasts
 * it; restic honours our locks, and restic's unlock and ours remove each other's.
 */
class RepositoryLockResticIT {
  private static final String PASSWORD = "lock test password";

  @TempDir Path tmp;

  private Cli cli() {
    return new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", PASSWORD);
  }

  private static Cli.Result ok(Cli.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  /** Complete lock files (named by their hash; an upload in progress has a temporary name). */
  private static List<Path> locks(Path repo) throws IOException {
    try (Stream<Path> s = Files.list(repo.resolve("locks"))) {
      return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{64}")).toList();
    } catch (java.nio.file.NoSuchFileException e) {
      return List.of();
    }
  }

  private Path initRepo() throws IOException {
    Path repo = tmp.resolve("repo");
    ok(cli().run("init", "--to", repo.toString()));
    return repo;
  }

  /** restic backup --stdin holds its (shared) lock while it waits for input that never comes. */
  private Process resticWaitingOnStdin(Path repo) throws Exception {
    var pb = new ProcessBuilder("restic", "--no-cache", "-r", repo.toString(), "backup", "--stdin",
        "--stdin-filename", "never.txt");
    pb.environment().put("RESTIC_PASSWORD", PASSWORD);
    pb.redirectOutput(tmp.resolve("restic.out").toFile()).redirectError(tmp.resolve("restic.err").toFile());
    Process p = pb.start();
    for (int i = 0; i < 300 && locks(repo).isEmpty(); i++) {
      assertThat(p.isAlive()).as("restic ended early: %s", Files.exists(tmp.resolve("restic.err"))
          ? Files.readString(tmp.resolve("restic.err")) : "").isTrue();
      Thread.sleep(100);
    }
    assertThat(locks(repo)).as("restic's lock").hasSize(1);
    return p;
  }

  @Test
  void aKilledResticsLockAndAnOldOneAreClearedByOurNextBackup() throws Exception {
    Path repo = initRepo();
    Path src = SourceTree.create(tmp.resolve("data/src"), 3);
    var restic = new ResticCli(repo, PASSWORD, tmp);
    Process running = resticWaitingOnStdin(repo);
    long resticPid = running.pid();
    try (var backend = new LocalBackend(repo); var r = Repository.open(backend, PASSWORD)) {
      // restic's live lock: kept by unlock, and it blocks an exclusive lock of ours
      Cli.Result unlock = ok(cli().run("unlock", "--from", repo.toString()));
      assertThat(unlock.out()).contains("removed 0 locks").contains("kept lock").contains("PID " + resticPid);
      assertThatThrownBy(() -> r.lock(true)).isInstanceOfSatisfying(HoldfastException.class, e -> {
        assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED);
        assertThat(e.getMessage()).contains("PID " + resticPid);
      });
      running.destroyForcibly(); // SIGKILL: restic cannot remove its lock
      assertThat(running.waitFor(30, TimeUnit.SECONDS)).isTrue();
      // and an exclusive lock from another host that nobody refreshed for two hours
      r.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC).minusHours(2), true, "gone-host", "alice",
          777, 0, 0).toJson());
    }
    assertThat(locks(repo)).hasSize(2);
    Processes.Result refused = restic.run("check");
    assertThat(refused.exitCode()).as("restic 0.14 honours stale locks: %s", refused).isNotZero();
    assertThat(refused.err()).contains("locked");

    Cli.Result backup = ok(cli().run("backup", "--to", repo.toString(), src.toString()));
    assertThat(backup.all())
        .containsPattern("WARNING: stale lock [0-9a-f]{8} of PID " + resticPid + " on \\S+ \\(user [^)]*\\), \\d+ s old removed: "
            + "process " + resticPid + " no longer runs on this host")
        .containsPattern("WARNING: stale lock [0-9a-f]{8} \\(exclusive\\) of PID 777 on gone-host \\(user alice\\), "
            + "2 h 0 min old removed: not refreshed for more than 30 minutes")
        .containsPattern("SUCCESS: snapshot [0-9a-f]{8} stored");
    assertThat(Files.readString(tmp.resolve("state/holdfast.log"))).contains("stale lock").contains("gone-host");
    assertThat(locks(repo)).isEmpty();
    assertThat(restic.check("list", "locks")).isBlank();
    restic.check("check", "--read-data");
  }

  @Test
  void aLiveLockOfAnotherRunGivesExit11AndRetryLockWaitsUntilItIsReleased() throws Exception {
    Path repo = initRepo();
    Path src = SourceTree.create(tmp.resolve("data/src"), 4);
    try (var backend = new LocalBackend(repo); var other = Repository.open(backend, PASSWORD)) {
      RepositoryLock held = other.lock(true); // as a prune of another run would
      Cli.Result refused = cli().run("backup", "--to", repo.toString(), src.toString());
      assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(11);
      assertThat(refused.err()).contains("is locked exclusively by PID " + ProcessHandle.current().pid())
          .contains("hint:").contains("--retry-lock");

      Cli.Result gaveUp = cli().run("backup", "--retry-lock", "2s", "--to", repo.toString(), src.toString());
      assertThat(gaveUp.exitCode()).as(gaveUp.toString()).isEqualTo(11);
      assertThat(gaveUp.err()).contains("still locked after retrying for 2 s");

      Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
          jobs:
            docs:
              format: repository
              password_env: HOLDFAST_PASSWORD
              sources: [%s]
              target: %s
              verify: none
              retry_lock: 1s
          """.formatted(src, repo));
      Cli.Result job = cli().run("--config", config.toString(), "run", "docs");
      assertThat(job.exitCode()).as(job.toString()).isEqualTo(11);
      assertThat(job.err()).contains("still locked after retrying for 1 s");

      CompletableFuture<Cli.Result> waiting = CompletableFuture.supplyAsync(
          () -> cli().run("--retry-lock", "2m", "backup", "--to", repo.toString(), src.toString()));
      for (int i = 0; i < 600 && !Files.readString(tmp.resolve("state/holdfast.log")).contains("retrying for up to 2 min"); i++) {
        Thread.sleep(50);
      }
      assertThat(waiting).isNotDone();
      held.close();
      Cli.Result done = ok(waiting.get(2, TimeUnit.MINUTES));
      assertThat(done.all()).contains("retrying for up to 2 min").containsPattern("SUCCESS: snapshot [0-9a-f]{8} stored");
    }
    assertThat(locks(repo)).isEmpty();
    new ResticCli(repo, PASSWORD, tmp).check("check");
  }

  @Test
  void resticHonoursOurLocksAndBothUnlocksRemoveEachOthers() throws Exception {
    Path repo = initRepo();
    var restic = new ResticCli(repo, PASSWORD, tmp);
    try (var backend = new LocalBackend(repo); var ours = Repository.open(backend, PASSWORD)) {
      RepositoryLock shared = ours.lock(false);
      Processes.Result check = restic.run("check");
      assertThat(check.exitCode()).as(check.toString()).isNotZero();
      assertThat(check.err()).contains("already locked by PID " + ProcessHandle.current().pid());
      // restic 0.14 probes a lock holder on its host with SIGHUP: that must not end this JVM
      Processes.check(tmp, "kill", "-HUP", Long.toString(ProcessHandle.current().pid()));
      Thread.sleep(300);
      restic.check("unlock"); // removes stale locks only: ours is live (this process, and it answers)
      assertThat(locks(repo)).hasSize(1);
      assertThat(restic.run("check").exitCode()).isNotZero();
      restic.check("unlock", "--remove-all");
      assertThat(locks(repo)).isEmpty();
      shared.refresh(); // the holder notices that its lock is gone instead of going on without one
      assertThatThrownBy(shared::ensureHeld).hasMessageContaining("was removed by another process");
      shared.close();
      restic.check("check");

      RepositoryLock exclusive = ours.lock(true);
      Path data = Files.createDirectories(tmp.resolve("data"));
      Files.writeString(data.resolve("x.txt"), "x");
      Processes.Result backup = restic.run("backup", data.toString());
      assertThat(backup.exitCode()).as(backup.toString()).isNotZero();
      assertThat(backup.err()).contains("locked exclusively");
      exclusive.close();
    }
    // a live restic lock: our unlock keeps it, --remove-all removes it as restic's would
    Process running = resticWaitingOnStdin(repo);
    try {
      assertThat(ok(cli().run("unlock", "--from", repo.toString())).out()).contains("removed 0 locks");
      assertThat(locks(repo)).hasSize(1);
      Cli.Result all = ok(cli().run("--json", "unlock", "--from", repo.toString(), "--remove-all"));
      assertThat(all.out()).contains("\"pid\" : " + running.pid()).contains("\"remaining\" : [ ]");
      assertThat(locks(repo)).isEmpty();
    } finally {
      running.destroyForcibly();
      running.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aHoldfastBackupInAnotherProcessSurvivesResticUnlockAndAKilledOnesLockIsCleared() throws Exception {
    Path repo = initRepo();
    var restic = new ResticCli(repo, PASSWORD, tmp);
    String slow = "command:slow.txt?run=sleep+6%3B+echo+done";
    Process child = Processes.startHoldfast(cli(), tmp.resolve("child"), List.of(), "backup", "--to", repo.toString(), slow);
    for (int i = 0; i < 600 && locks(repo).isEmpty() && child.isAlive(); i++) {
      Thread.sleep(50);
    }
    assertThat(locks(repo)).as("the child's lock").hasSize(1);
    Processes.Result check = restic.run("check");
    assertThat(check.exitCode()).as(check.toString()).isNotZero();
    assertThat(check.err()).contains("already locked by PID " + child.pid());
    restic.check("unlock"); // sends the child SIGHUP to see whether it still runs
    assertThat(child.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(child.exitValue()).as(Files.readString(tmp.resolve("child/stderr.txt"))).isZero();
    assertThat(locks(repo)).isEmpty();
    assertThat(restic.check("dump", "latest", "/commands/slow.txt")).isEqualTo("done\n");

    Process killed = Processes.startHoldfast(cli(), tmp.resolve("killed"), List.of(), "backup", "--to", repo.toString(), slow);
    for (int i = 0; i < 600 && locks(repo).isEmpty() && killed.isAlive(); i++) {
      Thread.sleep(50);
    }
    assertThat(locks(repo)).hasSize(1);
    killed.destroyForcibly();
    assertThat(killed.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Cli.Result next = ok(cli().run("backup", "--to", repo.toString(), tmp.resolve("child").toString()));
    assertThat(next.all()).containsPattern("WARNING: stale lock [0-9a-f]{8} of PID " + killed.pid()
        + " on \\S+ \\(user [^)]*\\), \\d+ s old removed: process " + killed.pid() + " no longer runs on this host");
    assertThat(locks(repo)).isEmpty();
    restic.check("check", "--read-data");
  }
}
