package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Processes;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code scripts/quickstart.sh}, through the real {@code ./holdfast}
 * launcher and the packaged jar (failsafe runs after {@code package}): backup, list, verify,
 * restore and a diff of the restored tree, with JAVA_HOME pointing at a JDK too old to be used.
 */
class QuickstartIT {
  @TempDir Path work;

  @Test
  void theReadmeQuickstartRunsEndToEnd() {
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    // the launcher must skip a JDK < 21 and find a newer one itself
    Path old = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    if (old.toFile().isDirectory()) {
      env.put("JAVA_HOME", old.toString());
    }
    Processes.Result r = Processes.run(Path.of("."), List.of("bash", "scripts/quickstart.sh", work.toString()), env);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).contains("== OK: the restored tree is identical to the original");
    assertThat(r.out()).contains("restored backup/").contains("/data/empty/");
  }
}
