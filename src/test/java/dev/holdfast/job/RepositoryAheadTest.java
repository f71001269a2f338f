package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.LocalBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.repository.KdfParams;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.source.PathSource;
import dev.holdfast.state.StateStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository job's repository opened ahead of its run (while the command opens its state store):
 * the run uses it instead of opening the repository again, a wrong password fails the run as it
 * would have, and a job with a "before" hook (which may mount the target) is not opened ahead.
 */
class RepositoryAheadTest {
  private static final String PASSWORD = "pw";
  @TempDir Path tmp;

  private final List<String> opened = Collections.synchronizedList(new ArrayList<>());

  private Backend open(String target) {
    opened.add(Thread.currentThread().getName());
    return new LocalBackend(Path.of(target));
  }

  @Test
  void theRunUsesTheRepositoryOpenedAhead() throws IOException {
    Job job = job(PASSWORD, Hooks.none());
    try (StateStore state = StateStore.open(tmp.resolve("state.db"));
        RepositoryAhead ahead = RepositoryAhead.start(job, this::open)) {
      assertThat(ahead).isNotNull();
      JobRunner runner = runner(state);
      runner.useAhead(ahead);
      RunResult r = runner.run(job, EventSink.NONE);
      assertThat(r.exitCode()).isEqualTo(ExitCode.OK);
      assertThat(opened).as("the target was opened once, ahead of the run").containsExactly("holdfast-repository-open");
      try (var repo = Repository.open(new LocalBackend(tmp.resolve("repo")), PASSWORD)) {
        assertThat(repo.listSnapshots()).singleElement()
            .satisfies(s -> assertThat(s.id()).isEqualTo(ObjectId.parse(r.backup().id())));
      }
      // a second run of the same job opens the repository itself again
      runner.run(job, EventSink.NONE);
      assertThat(opened).hasSize(2);
    }
  }

  @Test
  void aWrongPasswordFailsTheRunAsItWouldHave() throws IOException {
    Job job = job("wrong", Hooks.none());
    String direct;
    try (StateStore state = StateStore.open(tmp.resolve("state.db"))) {
      HoldfastException e = org.junit.jupiter.api.Assertions.assertThrows(HoldfastException.class,
          () -> runner(state).run(job, EventSink.NONE));
      assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
      direct = e.getMessage();
    }
    try (StateStore state = StateStore.open(tmp.resolve("state2.db"));
        RepositoryAhead ahead = RepositoryAhead.start(job, this::open)) {
      JobRunner runner = runner(state);
      runner.useAhead(ahead);
      assertThatThrownBy(() -> runner.run(job, EventSink.NONE))
          .isInstanceOfSatisfying(HoldfastException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
            assertThat(e.getMessage()).isEqualTo(direct);
          });
    }
    Path locks = tmp.resolve("repo").resolve("locks");
    assertThat(!Files.exists(locks) || Files.list(locks).findAny().isEmpty()).as("no lock file left").isTrue();
  }

  @Test
  void aJobWithABeforeHookOrWithoutRepositoryIsOpenedInItsRun() throws IOException {
    Hooks before = new Hooks(List.of("true"), List.of(), List.of(), Hooks.DEFAULT_TIMEOUT);
    assertThat(RepositoryAhead.start(job(PASSWORD, before), this::open)).isNull();
    Job archive = Job.adHoc("docs", job(PASSWORD, Hooks.none()).sources(), tmp.resolve("out").toString(), null);
    assertThat(RepositoryAhead.start(archive, this::open)).isNull();
    assertThat(opened).isEmpty();
  }

  @Test
  void anAheadNobodyTookIsClosed() throws IOException {
    Job job = job(PASSWORD, Hooks.none());
    RepositoryAhead ahead = RepositoryAhead.start(job, this::open);
    ahead.close(); // waits for the opening, then closes it
    ahead.close();
    assertThat(ahead.take(job)).as("closed: nothing to take").isNull();
    assertThat(opened).hasSize(1);
  }

  private Job job(String password, Hooks hooks) throws IOException {
    Path repo = tmp.resolve("repo");
    if (!Files.exists(repo)) {
      Repository.init(new LocalBackend(repo), PASSWORD, 0x3DA3358B4DC173L, new KdfParams(1024, 8, 1)).close();
      Files.createDirectories(tmp.resolve("src"));
      Files.writeString(tmp.resolve("src/a.txt"), "hello\n");
    }
    var source = new PathSource(List.of(tmp.resolve("src").toString()), List.of(), List.of(), true);
    return new Job("docs", List.of(source), repo.toString(), null, hooks, null, List.of(), RetentionPolicy.none(), false,
        Duration.ofHours(25), List.of(), null, new RepositoryFormat(() -> password));
  }

  private JobRunner runner(StateStore state) {
    var log = new RunLog(new PrintWriter(new StringWriter()), tmp.resolve("holdfast.log"), Clock.systemUTC(),
        ZoneOffset.UTC, true);
    return new JobRunner(tmp.resolve("statedir"), state, log, this::open, Clock.systemUTC(), ZoneOffset.UTC, "testhost");
  }
}
