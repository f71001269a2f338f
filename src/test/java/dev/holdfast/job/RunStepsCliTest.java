package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} from the CLI: {@code --all} and {@code --tag} choose the jobs; {@code --no-verify},
 * {@code --no-sync-offsite} and {@code --no-cleanup} each leave out their step (seen in the SUCCESS
 * line, the targets and the history), {@code --verify} adds one.
 */
class RunStepsCliTest {
  @TempDir Path dir;
  private Cli cli;
  private Path config;

  @BeforeEach
  void jobs() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("f.txt"), "data\n");
    config = dir.resolve("c.yaml");
    Files.writeString(config, """
        jobs:
          db:
            sources: [%1$s/src]
            target: %1$s/t-db
            tags: [databases, nightly]
            verify: full
            offsite:
              - target: %1$s/off-db
            retention: { keep_last: 1 }
          files:
            sources: [%1$s/src]
            target: %1$s/t-files
            tags: [nightly]
            verify: none
          other:
            sources: [%1$s/src]
            target: %1$s/t-other
        """.formatted(dir));
    cli = new Cli(dir.resolve("state"));
  }

  private Cli.Result run(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "--config";
    all[1] = config.toString();
    all[2] = "run";
    System.arraycopy(args, 0, all, 3, args.length);
    return cli.run(all);
  }

  private List<String> archives(String target) throws IOException {
    Path t = dir.resolve(target);
    if (!Files.exists(t)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(t)) {
      return s.filter(p -> p.toString().endsWith(".tar.gz")).map(p -> t.relativize(p).toString()).sorted().toList();
    }
  }

  private static List<String> lines(Cli.Result r, String level) {
    return r.err().lines().filter(l -> l.contains("] " + level + ": ")).toList();
  }

  @Test
  void allRunsEveryJobAndTagOnlyTheTaggedOnes() throws IOException {
    Cli.Result tagged = run("--tag", "databases");
    assertThat(tagged.exitCode()).as(tagged.toString()).isZero();
    assertThat(lines(tagged, "SUCCESS")).singleElement().asString().contains("SUCCESS: db/");
    assertThat(archives("t-db")).hasSize(1);
    assertThat(archives("t-files")).isEmpty();
    assertThat(archives("t-other")).isEmpty();

    Cli.Result nightly = run("--tag", "nightly");
    assertThat(nightly.exitCode()).as(nightly.toString()).isZero();
    assertThat(lines(nightly, "SUCCESS")).hasSize(2);
    assertThat(archives("t-files")).hasSize(1);
    assertThat(archives("t-other")).isEmpty();

    Cli.Result all = run("--all");
    assertThat(all.exitCode()).as(all.toString()).isZero();
    assertThat(lines(all, "SUCCESS")).hasSize(3).anyMatch(l -> l.contains("SUCCESS: other/"));
    assertThat(archives("t-other")).hasSize(1);
    assertThat(archives("t-files")).hasSize(2);

    Cli.Result history = cli.run("--config", config.toString(), "history", "-n", "50");
    assertThat(history.exitCode()).as(history.toString()).isZero();
    assertThat(history.out().lines().filter(l -> l.contains("SUCCESS"))).hasSize(6);

    Cli.Result unknown = run("--tag", "nosuchtag");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("no job has the tag 'nosuchtag'");
  }

  @Test
  void eachNoOptionLeavesOutItsStep() throws IOException {
    Cli.Result bare = run("db", "--no-verify", "--no-sync-offsite", "--no-cleanup");
    assertThat(bare.exitCode()).as(bare.toString()).isZero();
    assertThat(lines(bare, "SUCCESS")).singleElement().asString()
        .doesNotContain("verified").doesNotContain("copied").doesNotContain("removed");
    assertThat(archives("off-db")).isEmpty();

    Cli.Result noVerify = run("db", "--no-verify", "--no-cleanup");
    assertThat(noVerify.exitCode()).as(noVerify.toString()).isZero();
    assertThat(lines(noVerify, "SUCCESS")).singleElement().asString()
        .doesNotContain("verified").contains("copied 2 to ").doesNotContain("removed");
    assertThat(archives("off-db")).hasSize(2);
    assertThat(archives("t-db")).hasSize(2);

    Cli.Result noOffsite = run("db", "--no-sync-offsite", "--no-cleanup");
    assertThat(noOffsite.exitCode()).as(noOffsite.toString()).isZero();
    assertThat(lines(noOffsite, "SUCCESS")).singleElement().asString()
        .contains("verified (full)").doesNotContain("copied").doesNotContain("removed");
    assertThat(archives("off-db")).hasSize(2);
    assertThat(archives("t-db")).hasSize(3);

    Cli.Result noCleanupOnly = run("db", "--no-cleanup");
    assertThat(noCleanupOnly.exitCode()).as(noCleanupOnly.toString()).isZero();
    assertThat(lines(noCleanupOnly, "SUCCESS")).singleElement().asString()
        .contains("verified (full)").contains("copied 2 to ").doesNotContain("removed");
    assertThat(archives("t-db")).hasSize(4);

    Cli.Result everything = run("db");
    assertThat(everything.exitCode()).as(everything.toString()).isZero();
    assertThat(lines(everything, "SUCCESS")).singleElement().asString()
        .contains("verified (full)").contains("copied 1 to ").contains("removed");
    assertThat(archives("t-db")).hasSize(1);
    assertThat(lines(everything, "REMOVED")).hasSize(4 + 4); // four on the target, four off-site
  }

  /** One bad off-site target (a file where a directory should be) does not keep the copy from the others. */
  @Test
  void aFailingOffsiteTargetDoesNotStopTheCopiesToTheOthers() throws IOException {
    Files.writeString(dir.resolve("not-a-dir"), "");
    Files.writeString(config, Files.readString(config) + """
          two:
            sources: [%1$s/src]
            target: %1$s/t-two
            offsite:
              - target: %1$s/not-a-dir
              - target: %1$s/off-two
        """.formatted(dir));
    Cli.Result r = run("two");
    assertThat(r.exitCode()).as(r.toString()).isNotZero();
    assertThat(archives("off-two")).as("the healthy target got its copy").hasSize(1);
    assertThat(lines(r, "WARNING")).singleElement().asString().contains("off-site copy failed").contains("not-a-dir");
    assertThat(lines(r, "FAILURE")).singleElement().asString().contains("off-site copy failed for 1 of 2 targets");
  }

  @Test
  void verifyAddsAQuickCheckToAJobWithVerifyNone() {
    Cli.Result plain = run("files");
    assertThat(plain.exitCode()).as(plain.toString()).isZero();
    assertThat(lines(plain, "SUCCESS")).singleElement().asString().doesNotContain("verified");
    Cli.Result verified = run("files", "--verify");
    assertThat(verified.exitCode()).as(verified.toString()).isZero();
    assertThat(lines(verified, "SUCCESS")).singleElement().asString().contains("verified (quick)");
  }
}
