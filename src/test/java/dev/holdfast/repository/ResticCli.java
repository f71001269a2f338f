package dev.holdfast.repository;

import dev.holdfast.testkit.Processes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the real restic binary against one repository, without cache, so nothing hides damage. */
record ResticCli(Path repo, String password, Path workDir) {

  Processes.Result run(String... args) {
    var cmd = new ArrayList<String>(List.of("restic", "--no-cache"));
    cmd.addAll(List.of(args));
    return Processes.run(
        workDir,
        cmd,
        Map.of("RESTIC_REPOSITORY", repo.toString(), "RESTIC_PASSWORD", password, "TZ", "UTC"));
  }

  /** Runs restic and fails the test unless it exits 0; returns stdout. */
  String check(String... args) {
    Processes.Result r = run(args);
    if (r.exitCode() != 0) {
      throw new AssertionError("restic " + String.join(" ", args) + " failed: " + r);
    }
    return r.out();
  }
}
