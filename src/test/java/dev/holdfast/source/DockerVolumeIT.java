package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker volumes through Podman's Docker-compatible API: a labelled container is stopped for the
 * copy and started again afterwards — also when the backup fails.
 */
class DockerVolumeIT {
  static Path dir;
  static Process service;
  static Map<String, String> env;
  static String sock;
  @TempDir Path tmp;

  @BeforeAll
  static void startPodman() throws Exception {
    assumeTrue(Processes.onPath("podman") && Processes.isRoot(), "podman (as root) is needed");
    dir = Files.createTempDirectory("holdfast-podman-");
    Files.writeString(dir.resolve("containers.conf"), """
        [containers]
        default_ulimits=["nofile=1024:1024","nproc=1024:1024"]
        [engine]
        runtime="runc"
        """);
    env = Map.of("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
    Path rootfs = dir.resolve("rootfs/bin");
    Files.createDirectories(rootfs);
    Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
    for (String t : List.of("sh", "sleep", "echo", "cat")) {
      Files.createSymbolicLink(rootfs.resolve(t), Path.of("busybox"));
    }
    podman("rm", "-f", "holdfast-it-app"); // a leftover of an interrupted run of this test
    podman("volume", "rm", "-f", "holdfast-it-data");
    Processes.check(dir, "tar", "-C", dir.resolve("rootfs").toString(), "-cf", dir.resolve("bb.tar").toString(), ".");
    podman("import", dir.resolve("bb.tar").toString(), "localhost/holdfast-bb:test");
    sock = "unix://" + dir.resolve("podman.sock");
    ProcessBuilder pb = new ProcessBuilder("podman", "system", "service", "--time=0", sock)
        .redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile());
    pb.environment().putAll(env);
    service = pb.start();
    for (int i = 0; i < 100 && !Files.exists(dir.resolve("podman.sock")); i++) {
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stopPodman() throws Exception {
    if (service != null) {
      podman("rm", "-f", "holdfast-it-app");
      podman("volume", "rm", "-f", "holdfast-it-data");
      podman("image", "rm", "localhost/holdfast-bb:test");
      service.destroy();
      service.waitFor(20, TimeUnit.SECONDS);
      Processes.run(dir.getParent(), List.of("rm", "-rf", dir.toString()));
    }
  }

  static String podman(String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman"));
    cmd.addAll(List.of(args));
    Processes.Result r = Processes.run(dir, cmd, env);
    if (r.exitCode() != 0 && !args[0].equals("rm") && !(args.length > 1 && args[1].equals("rm"))) {
      throw new AssertionError(cmd + " failed: " + r);
    }
    return r.out().strip();
  }

  @Test
  void labelledContainerIsStoppedForTheCopyAndStartedAgain() throws Exception {
    podman("volume", "create", "holdfast-it-data");
    podman("run", "--rm", "-v", "holdfast-it-data:/data", "localhost/holdfast-bb:test", "sh", "-c",
        "echo 'große Daten' > /data/state.txt; echo two > /data/b.txt");
    podman("run", "-d", "--name", "holdfast-it-app", "--label", DockerVolumeSource.STOP_LABEL + "=true",
        "-v", "holdfast-it-data:/data", "localhost/holdfast-bb:test", "sh", "-c",
        "trap 'exit 0' TERM; while true; do sleep 1; done");
    String startedBefore = podman("inspect", "-f", "{{.State.StartedAt}}", "holdfast-it-app");
    Path config = tmp.resolve("holdfast.yaml");
    Path target = tmp.resolve("backups");
    Files.writeString(config, """
        jobs:
          vols:
            sources:
              - docker_volume: {name: holdfast-it-data, docker_host: "%s"}
            target: %s
          failing:
            sources:
              - docker_volume: {name: holdfast-it-data, docker_host: "%s"}
              - command: {run: "exit 9", name: never}
            target: %s
        """.formatted(sock, target, sock, target));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result b = cli.run("--config", config.toString(), "backup", "vols");
    assertThat(b.exitCode()).as(b.toString()).isZero();
    assertThat(podman("inspect", "-f", "{{.State.Running}}", "holdfast-it-app")).isEqualTo("true");
    String startedAfter = podman("inspect", "-f", "{{.State.StartedAt}}", "holdfast-it-app");
    assertThat(startedAfter).as("restarted").isNotEqualTo(startedBefore);

    Cli.Result r = cli.run("restore", "--from", target.toString(), "--target", tmp.resolve("out").toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(tmp.resolve("out/docker-volumes/holdfast-it-data/state.txt")).hasContent("große Daten");
    assertThat(tmp.resolve("out/docker-volumes/holdfast-it-data/b.txt")).hasContent("two");

    Cli.Result failing = cli.run("--config", config.toString(), "backup", "failing");
    assertThat(failing.exitCode()).isEqualTo(1);
    assertThat(podman("inspect", "-f", "{{.State.Running}}", "holdfast-it-app")).isEqualTo("true");
    assertThat(PostgresBackupIT.archives(target)).isEqualTo(1);

    Cli.Result missing = cli.run("backup", "--to", target.toString(), "docker-volume:no-such-volume?docker_host=" + sock);
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("docker volume no-such-volume does not exist");
  }
}
