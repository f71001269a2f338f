package dev.holdfast.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast --config F config check} on broken configs: exit 2 and exactly the expected
 * {@code F:LINE: key.path: problem} lines, every problem at once and nothing redundant; a valid
 * config with {@code ${VAR}} passes; a job whose source is missing fails its backup with exit 2.
 */
class ConfigCheckTest {
  @TempDir Path tmp;
  private Cli cli;
  private String src;
  private String target;

  @BeforeEach
  void setUp() throws IOException {
    cli = new Cli(tmp.resolve("state"));
    src = Files.createDirectories(tmp.resolve("src")).toString();
    Files.writeString(tmp.resolve("src/file.txt"), "content");
    target = tmp.resolve("target").toString();
  }

  @Test
  void unknownKeySuggestsTheNearestOne() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: %s
            compresion: zstd
        """.formatted(src, target),
        ":5: jobs.daily.compresion: unknown key (did you mean 'compression'?); allowed here: sources,");
  }

  @Test
  void aValidConfigWithJsonIsOneDocument() throws IOException {
    Path f = write("""
        jobs:
          daily:
            sources: [%s]
            target: %s
        """.formatted(src, target));
    Cli.Result r = cli.run("--json", "--config", f.toString(), "config", "check");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertThat(doc.path("ok").asBoolean()).isTrue();
    assertThat(doc.path("jobs").get(0).path("job").asText()).isEqualTo("daily");
    assertThat(doc.path("jobs").get(0).path("format").asText()).isEqualTo("archive");
  }

  @Test
  void missingTarget() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
        """.formatted(src),
        ":3: jobs.daily.target: missing; say where backups go");
  }

  @Test
  void missingSources() throws IOException {
    assertProblems("""
        jobs:
          daily:
            target: %s
        """.formatted(target),
        ":3: jobs.daily.sources: missing; list the paths to back up");
  }

  @Test
  void wrongTypeIsOneProblem() throws IOException {
    // also said "must list at least one path" once, about the same mistake
    assertProblems("""
        jobs:
          daily:
            sources: {a: b}
            target: %s
        """.formatted(target),
        ":3: jobs.daily.sources: must be a list of values");
  }

  @Test
  void badCompression() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: %s
            compression: lz4
        """.formatted(src, target),
        ":5: jobs.daily.compression: 'lz4' is not one of: gzip, zstd, none");
  }

  @Test
  void levelOutOfRangeForTheCompression() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: %s
            compression: gzip
            level: 12
        """.formatted(src, target),
        ":6: jobs.daily.level: must be between 1 and 9, not 12");
  }

  @Test
  void unsetEnvironmentVariableIsOneProblem() throws IOException {
    // also said "must not be empty" once, about the same variable
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: ${HOLDFAST_TEST_UNSET_TARGET}
        """.formatted(src),
        ":4: jobs.daily.target: environment variable HOLDFAST_TEST_UNSET_TARGET is not set"
            + " (use ${HOLDFAST_TEST_UNSET_TARGET:-default} for a default)");
  }

  @Test
  void yamlSyntaxErrorWithItsLine() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s
            target: %s
        """.formatted(src, target),
        ":4: jobs.daily.sources: YAML syntax: expected ',' or ']', but got :"
            + " (while parsing a flow sequence that starts at line 3)");
  }

  @Test
  void yamlSyntaxErrorsNameTheKeyAndGiveAHint() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources:
              - %s
             target: %s
        """.formatted(src, target),
        ":5: jobs.daily: YAML syntax: expected <block end>, but found '<block mapping start>'"
            + " (while parsing a block mapping that starts at line 3); check the indentation: the keys of one"
            + " mapping line up, a value is indented below its key");
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: "%s

        """.formatted(src, target),
        ":6: jobs.daily.target: YAML syntax: found unexpected end of stream"
            + " (while scanning a quoted scalar that starts at line 4)");
    assertProblems("""
        jobs:
          daily:
            sources:
              - path: %s
                exclude: [*.log]
            target: %s
        """.formatted(src, target),
        ":5: jobs.daily.sources.exclude: YAML syntax: unexpected character found .(46);"
            + " quote a value that starts with *, &, !, % or @ (e.g. '*.log')");
    assertProblems("""
        jobs:
          "daily":
            sources: [%s]
            target: %s
            notify: {email: [a@example.org,
        """.formatted(src, target),
        ":6: jobs.daily.notify: YAML syntax: expected the node content, but found '<stream end>'");
  }

  @Test
  void duplicateKey() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: %s
            target: /elsewhere
        """.formatted(src, target),
        ":5: jobs.daily.target: duplicate key (first at line 4)");
  }

  @Test
  void nameTemplateWithoutADate() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: %s
            name: "{job}/{job}.tar.gz"
        """.formatted(src, target),
        ":5: jobs.daily.name: needs a date-time placeholder such as {yyyy-MM-dd_HHmmss}");
  }

  @Test
  void nameTemplateWithTheWrongExtension() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: %s
            compression: zstd
            name: "{job}/{yyyy-MM-dd}-{job}.tar.gz"
        """.formatted(src, target),
        ":6: jobs.daily.name: ends in '.tar.gz' but compression is zstd (use '.tar.zst' or leave the extension out)");
  }

  @Test
  void badHookTimeout() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [%s]
            target: %s
            hooks:
              before: ["echo hi"]
              timeout: soon
        """.formatted(src, target),
        ":7: jobs.daily.hooks.timeout: 'soon' is not a duration such as 90s, 5m or 1h");
  }

  @Test
  void relativeSourcePath() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [data/files]
            target: %s
        """.formatted(target),
        ":3: jobs.daily.sources: 'data/files' must be an absolute path");
  }

  @Test
  void everyProblemOfAFileAtOnce() throws IOException {
    assertProblems("""
        jobs:
          daily:
            sources: [data/files]
            compresion: zstd
            level: 99
            hooks:
              timeout: -5s
          weekly:
            sources: [%s]
            target: ${HOLDFAST_TEST_UNSET_TARGET}
        """.formatted(src),
        ":4: jobs.daily.compresion: unknown key (did you mean 'compression'?)",
        ":3: jobs.daily.sources: 'data/files' must be an absolute path",
        ":3: jobs.daily.target: missing",
        ":5: jobs.daily.level: must be between 1 and 9, not 99",
        ":7: jobs.daily.hooks.timeout: '-5s' is not a duration",
        ":10: jobs.weekly.target: environment variable HOLDFAST_TEST_UNSET_TARGET is not set");
  }

  @Test
  void validConfigWithInterpolation() throws IOException {
    Path f = write("""
        jobs:
          daily:
            sources: ["${HOLDFAST_TEST_SRC}"]
            target: ${HOLDFAST_TEST_TARGET:-%s}
            compression: zstd
        """.formatted(target));
    Cli.Result r = cli.env("HOLDFAST_TEST_SRC", src).run("--config", f.toString(), "config", "check");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains(src + " -> " + target + " (zstd,").contains(f + ": OK (1 job)");
  }

  @Test
  void backupOfAJobWithAMissingSourceFailsClearlyAndWritesNothing() throws IOException {
    String missing = tmp.resolve("no-such-dir").toString();
    Path f = write("""
        jobs:
          daily:
            sources: [%s, %s]
            target: %s
        """.formatted(src, missing, target));
    Cli.Result r = cli.run("--config", f.toString(), "backup", "daily");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    List<String> errors = r.err().lines().filter(l -> l.startsWith("error:")).toList();
    assertThat(errors).containsExactly("error: source path does not exist: " + missing);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(Path.of(target)).doesNotExist();
  }

  /** Runs config check on {@code yaml}; expects exit 2 and exactly these problem lines, in order. */
  private void assertProblems(String yaml, String... expected) throws IOException {
    Path f = write(yaml);
    Cli.Result r = cli.run("--config", f.toString(), "config", "check");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).as(r.toString()).startsWith("error: invalid config\n");
    List<String> problems = r.err().lines().filter(l -> l.startsWith("  " + f + ":")).toList();
    assertThat(problems).as(r.toString()).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertThat(problems.get(i)).startsWith("  " + f + expected[i]);
    }
  }

  private Path write(String yaml) throws IOException {
    return Files.writeString(tmp.resolve("holdfast.yaml"), yaml);
  }
}
