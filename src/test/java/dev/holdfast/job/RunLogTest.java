package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run log ({@code $HOLDFAST_STATE_DIR/holdfast.log}) gets one SUCCESS or FAILURE line per run
 * in the seeds' format, history records both runs, and {@code backup --json} prints parseable JSON.
 */
class RunLogTest {
  private static final Pattern SUCCESS =
      Pattern.compile("^\\[\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\] SUCCESS: .+ stored \\(.+, .+ s\\)$");
  private static final Pattern FAILURE =
      Pattern.compile("^\\[\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\] FAILURE: .+$");

  @TempDir Path tmp;
  private Path state;
  private Path src;
  private Path target;
  private Cli cli;

  @BeforeEach
  void setUp() {
    state = tmp.resolve("state");
    src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(10), 50_000);
    target = tmp.resolve("target");
    cli = new Cli(state);
  }

  @Test
  void logsSuccessAndFailureAndRecordsBothInHistory() throws IOException {
    Cli.Result ok = cli.run("backup", "--to", target.toString(), src.toString());
    assertThat(ok.exitCode()).as(ok.toString()).isZero();
    String missing = tmp.resolve("missing").toString();
    Cli.Result failed = cli.run("backup", "--to", target.toString(), missing);
    assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(2);

    List<String> log = Files.readAllLines(state.resolve("holdfast.log"));
    assertThat(log).filteredOn(l -> SUCCESS.matcher(l).matches()).singleElement().asString()
        .contains("SUCCESS: backup/").contains(".tar.gz stored (");
    assertThat(log).filteredOn(l -> FAILURE.matcher(l).matches()).singleElement().asString()
        .contains("source path does not exist: " + missing);

    Cli.Result history = cli.run("history", "--json");
    assertThat(history.exitCode()).as(history.toString()).isZero();
    JsonNode runs = new ObjectMapper().readTree(history.out());
    assertThat(runs).hasSize(2);
    assertThat(runs.get(0).get("status").asText()).isEqualTo("FAILURE");
    assertThat(runs.get(0).get("exit_code").asInt()).isEqualTo(2);
    assertThat(runs.get(0).get("error").asText()).contains(missing);
    assertThat(runs.get(1).get("status").asText()).isEqualTo("SUCCESS");
    assertThat(runs.get(1).get("backup").asText()).startsWith("backup/").endsWith(".tar.gz");
    assertThat(runs.get(1).get("bytes").asLong()).as("content bytes recorded").isPositive();
  }

  @Test
  void backupJsonIsParseableAndNamesTheBackup() throws IOException {
    Cli.Result r = cli.run("backup", "--json", "--to", target.toString(), src.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertThat(json.get("status").asText()).isEqualTo("SUCCESS");
    String backup = json.get("backup").asText();
    assertThat(target.resolve(backup)).isRegularFile();
    assertThat(json.get("files").asLong()).isEqualTo(1);
  }
}
