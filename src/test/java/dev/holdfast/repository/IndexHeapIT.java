package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index larger than the Java heap is refused up front with a hint (exit 1), not an
 * OutOfMemoryError halfway through a run; with enough heap the same repository opens.
 */
class IndexHeapIT {
  @TempDir Path tmp;

  @Test
  void anIndexTooLargeForTheHeapIsRefusedWithAHint() throws Exception {
    Path repo = tmp.resolve("repo");
    SyntheticIndexMain.main(new String[] {repo.toString(), "pw", "400000", "3"}); // index files of about 20 MB

    Processes.Result small = list(repo, "100m");
    assertThat(small.exitCode()).as(small.toString()).isEqualTo(1);
    assertThat(small.err()).contains("error: the index of the repository at").contains("MiB of memory, more than this run's Java heap")
        .contains("hint: raise the heap, e.g. HOLDFAST_JAVA_OPTS=-Xmx1g").doesNotContain("OutOfMemoryError");

    Processes.Result enough = list(repo, "320m");
    assertThat(enough.exitCode()).as(enough.toString()).isZero();
  }

  private Processes.Result list(Path repo, String heap) {
    Cli cli = new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", "pw");
    return Processes.runHoldfastInHeap(cli, heap, "snapshots", "--from", repo.toString());
  }
}
