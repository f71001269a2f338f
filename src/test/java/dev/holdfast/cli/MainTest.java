package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line {@code main} builds for a verb holds only that subcommand; it must print, fail
 * and exit exactly as the full command tree does, and its verb table must match the annotations.
 */
class MainTest {
  @TempDir Path dir;

  private record Outcome(int exitCode, String out, String err) {}

  private Map<String, String> env() {
    return Map.of("HOLDFAST_STATE_DIR", dir.resolve("state").toString(),
        "XDG_CONFIG_HOME", dir.resolve("config-home").toString(),
        "HOME", dir.resolve("home").toString());
  }

  private static Outcome run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  @Test
  void withJsonAFailureIsAlsoADocumentOnStdout() throws Exception {
    Outcome o = run(Main.commandLine(env(), new String[] {"list"}), "list", "--json", "--from",
        dir.resolve("absent").toString());
    assertThat(o.exitCode()).isEqualTo(10);
    assertThat(o.err()).startsWith("error: target does not exist: ");
    var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(o.out());
    assertThat(doc.path("error").asText()).startsWith("target does not exist: ").endsWith("absent");
    assertThat(doc.path("hint").asText()).isNotEmpty();
    assertThat(doc.path("exit_code").asInt()).isEqualTo(10);

    java.nio.file.Files.writeString(dir.resolve("bad.yaml"), "jobs:\n  daily:\n    sources: [/etc\n");
    Outcome c = run(Main.commandLine(env(), new String[] {"status"}), "--config", dir.resolve("bad.yaml").toString(),
        "--json", "status");
    assertThat(c.exitCode()).isEqualTo(2);
    var problem = new com.fasterxml.jackson.databind.ObjectMapper().readTree(c.out()).path("problems").get(0);
    assertThat(problem.path("line").asInt()).isEqualTo(4);
    assertThat(problem.path("key").asText()).isEqualTo("jobs.daily.sources");

    // without --json, stdout stays empty
    assertThat(run(Main.commandLine(env(), new String[] {"list"}), "list", "--from", dir.resolve("absent").toString())
        .out()).isEmpty();
  }

  @Test
  void aFailedJobWithJsonPrintsOneDocument() throws Exception {
    Outcome o = run(Main.commandLine(env(), new String[] {"backup"}), "--json", "backup", "--to",
        dir.resolve("t").toString(), dir.resolve("no-such-source").toString());
    assertThat(o.exitCode()).isNotZero();
    List<com.fasterxml.jackson.databind.JsonNode> docs = new com.fasterxml.jackson.databind.ObjectMapper()
        .readerFor(com.fasterxml.jackson.databind.JsonNode.class)
        .<com.fasterxml.jackson.databind.JsonNode>readValues(o.out()).readAll();
    assertThat(docs).as(o.out()).hasSize(1);
    var doc = docs.get(0);
    assertThat(doc.path("status").asText()).isEqualTo("FAILURE");
    assertThat(doc.path("exit_code").asInt()).isEqualTo(o.exitCode());
  }

  @Test
  void everyNameAndAliasOfTheFullTreeIsInTheVerbTable() {
    CommandLine full = Main.commandLine(env());
    assertThat(full.getSubcommands()).isNotEmpty();
    for (var e : full.getSubcommands().entrySet()) {
      assertThat(Main.subcommand(e.getKey())).as(e.getKey()).isEqualTo(e.getValue().getCommand().getClass());
    }
    List<Class<?>> classes = new ArrayList<>();
    full.getSubcommands().values().forEach(c -> {
      if (!classes.contains(c.getCommand().getClass())) {
        classes.add(c.getCommand().getClass());
      }
    });
    assertThat(classes).containsExactlyElementsOf(Main.ALL_SUBCOMMANDS);
  }

  @Test
  void aVerbAfterGlobalOptionsGetsOnlyItsSubcommand() {
    assertThat(Main.subcommandsFor(new String[] {"mirror", "a", "--to", "b"})).containsExactly(MirrorCommand.class);
    assertThat(Main.subcommandsFor(new String[] {"-q", "--config", "c.yaml", "-o", "s3.region=x", "--json", "-vv",
        "--limit-upload", "1MiB/s", "--retry-lock", "1m", "--stacktrace", "snapshots", "--from", "d"}))
        .containsExactly(ListCommand.class);
    assertThat(Main.subcommandsFor(new String[] {"--config=c.yaml", "status"})).containsExactly(StatusCommand.class);
    assertThat(Main.subcommandsFor(new String[] {"--version"})).isEmpty();
    assertThat(Main.subcommandsFor(new String[] {"-q", "-V"})).isEmpty();
  }

  @Test
  void anythingUncertainGetsTheFullTree() {
    for (String[] args : List.of(new String[] {}, new String[] {"help", "mirror"}, new String[] {"mirorr"},
        new String[] {"--help", "mirror"}, new String[] {"--config", "list", "mirror"}, new String[] {"-x", "list"},
        new String[] {"@args.txt"}, new String[] {"--", "list"}, new String[] {"--version", "list"},
        new String[] {"-qV"}, new String[] {"-o"}, new String[] {"-okey=value", "list"})) {
      assertThat(Main.subcommandsFor(args)).as(String.join(" ", args)).isSameAs(Main.ALL_SUBCOMMANDS);
    }
  }

  @Test
  void helpUsageErrorsAndExitCodesMatchTheFullTree() {
    List<String[]> cases = new ArrayList<>();
    for (Class<?> c : Main.ALL_SUBCOMMANDS) {
      String name = c.getAnnotation(CommandLine.Command.class).name();
      cases.add(new String[] {name, "--help"});
      cases.add(new String[] {name, "--no-such-option"});
    }
    cases.addAll(List.of(
        new String[] {"--version"}, new String[] {"-V"}, new String[] {"--json", "--version"},
        new String[] {"-q", "-q", "--version"}, new String[] {"snapshots", "--help"},
        new String[] {"config", "check", "--help"}, new String[] {"schedule", "list", "--help"},
        new String[] {"mirror"}, new String[] {"mirror", "src", "--to"}, new String[] {"mirror", "src", "--delte"},
        new String[] {"-q", "-q", "mirror", "src", "--to", "d"}, new String[] {"-o", "novalue", "list"},
        new String[] {"--json", "--json", "list"}, new String[] {"history", "--limit", "many"},
        new String[] {"-v", "history", "--limit", "1"}, new String[] {"list"}, new String[] {"config", "check"},
        new String[] {"-q", "mirror", dir.resolve("missing").toString(), "--to", dir.resolve("d").toString()}));
    for (String[] args : cases) {
      Outcome full = run(Main.commandLine(env()), args);
      Outcome lazy = run(Main.commandLine(env(), args), args);
      assertThat(lazy).as(String.join(" ", args)).isEqualTo(full);
    }
  }

  @Test
  void everyCommandAndSubcommandPrintsItsUsageForHelp() {
    List<String[]> cases = new ArrayList<>();
    for (Class<?> c : Main.ALL_SUBCOMMANDS) {
      cases.add(new String[] {c.getAnnotation(CommandLine.Command.class).name(), "--help"});
    }
    cases.add(new String[] {"config", "check", "-h"});
    cases.add(new String[] {"schedule", "install", "--help"});
    java.io.PrintStream stderr = System.err;
    var picocliWarnings = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(picocliWarnings, true)); // picocli warns there of help text it cannot format
    try {
      for (String[] args : cases) {
        checkHelp(args);
      }
    } finally {
      System.setErr(stderr);
    }
    assertThat(picocliWarnings.toString()).as("help text picocli could not format").isEmpty();
  }

  private void checkHelp(String[] args) {
    Outcome o = run(Main.commandLine(env(), args), args);
    String usage = "Usage: holdfast " + String.join(" ", List.of(args).subList(0, args.length - 1));
    assertThat(o.exitCode()).as(String.join(" ", args)).isZero();
    assertThat(o.err()).as(String.join(" ", args)).isEmpty();
    assertThat(o.out()).as(String.join(" ", args)).contains(usage).contains("-h, --help");
  }

  @Test
  void commandLineMistakesGetOneErrorLineAndAHintAsEveryOtherError() {
    Outcome typo = run(Main.commandLine(env(), new String[] {"restore", "--tagret", "x"}), "restore", "--tagret", "x");
    assertThat(typo.exitCode()).isEqualTo(2);
    assertThat(typo.err()).startsWith("error: unknown option: '--tagret'\n")
        .contains("hint: did you mean --target? (holdfast restore --help lists them)").doesNotContain("Usage:");
    Outcome value = run(Main.commandLine(env(), new String[] {"history", "--limit"}), "history", "--limit");
    assertThat(value.exitCode()).isEqualTo(2);
    assertThat(value.err()).startsWith("error: missing required parameter for option '--limit'")
        .contains("hint: holdfast history --help shows the usage");
    Outcome verb = run(Main.commandLine(env()), "lst");
    assertThat(verb.exitCode()).isEqualTo(2);
    assertThat(verb.err()).startsWith("error: unknown command 'lst'").contains("did you mean ls");
    Outcome none = run(Main.commandLine(env()));
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).startsWith("error: missing command").contains("Usage: holdfast");
  }
}
