package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker volumes through Podman's Docker-compatible API: a labelled container that keeps writing
 * is stopped for the copy and started again afterwards — also when the backup fails; selecting
 * volumes by label picks exactly the labelled ones; a volume restored into a fresh volume through
 * the API (a helper container, no access to the Mountpoint needed) has the same files, owners,
 * modes, times and links.
 */
class DockerVolumeIT {
  static final String IMAGE = "localhost/holdfast-bb:test";
  static Path dir;
  static Process service;
  static Map<String, String> env;
  static String sock;
  @TempDir Path tmp;
  final List<String> containers = new ArrayList<>();
  final List<String> volumes = new ArrayList<>();

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
    for (String t : List.of("sh", "sleep", "echo", "cat", "ls", "rm", "tail")) {
      Files.createSymbolicLink(rootfs.resolve(t), Path.of("busybox"));
    }
    Processes.check(dir, "tar", "-C", dir.resolve("rootfs").toString(), "-cf", dir.resolve("bb.tar").toString(), ".");
    podman("import", dir.resolve("bb.tar").toString(), IMAGE);
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
      // helper containers of a restore that was interrupted
      String helpers = podman("ps", "-a", "-q", "--filter", "label=holdfast.helper=restore");
      for (String id : helpers.lines().filter(l -> !l.isBlank()).toList()) {
        podman("rm", "-f", id);
      }
      podman("image", "rm", IMAGE);
      service.destroy();
      service.waitFor(20, TimeUnit.SECONDS);
      Processes.run(dir.getParent(), List.of("rm", "-rf", dir.toString()));
    }
  }

  @AfterEach
  void removeContainersAndVolumes() {
    for (String c : containers) {
      podman("rm", "-f", "-t", "0", c);
    }
    for (String v : volumes) {
      podman("volume", "rm", "-f", v);
    }
  }

  static String podman(String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman"));
    cmd.addAll(List.of(args));
    Processes.Result r = Processes.run(dir, cmd, env);
    boolean removal = args[0].equals("rm") || args.length > 1 && args[1].equals("rm");
    if (r.exitCode() != 0 && !removal) {
      throw new AssertionError(cmd + " failed: " + r);
    }
    return r.out().strip();
  }

  /** A fresh volume (a leftover of an interrupted run is removed first), removed after the test. */
  String volume(String name, String... labels) {
    podman("volume", "rm", "-f", name);
    List<String> args = new ArrayList<>(List.of("volume", "create"));
    for (String l : labels) {
      args.addAll(List.of("--label", l));
    }
    args.add(name);
    podman(args.toArray(String[]::new));
    volumes.add(name);
    return name;
  }

  static Path mountpoint(String volume) {
    return Path.of(podman("volume", "inspect", "-f", "{{.Mountpoint}}", volume));
  }

  String container(String name, List<String> options, String script) {
    podman("rm", "-f", "-t", "0", name);
    List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name));
    args.addAll(options);
    args.addAll(List.of(IMAGE, "sh", "-c", script));
    podman(args.toArray(String[]::new));
    containers.add(name);
    return name;
  }

  static String inspect(String container, String format) {
    return podman("inspect", "-f", format, container);
  }

  static List<String> tarList(Path target) throws Exception {
    try (Stream<Path> s = Files.walk(target)) {
      Path archive = s.filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
      return Processes.check(target, "tar", "-tzf", archive.toString()).out().lines().toList();
    }
  }

  /** The volumes (second path component under docker-volumes/) an archive holds. */
  static Set<String> volumesIn(List<String> names) {
    return names.stream().filter(n -> n.startsWith("docker-volumes/"))
        .map(n -> n.substring("docker-volumes/".length()).split("/")[0]).filter(n -> !n.isEmpty())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void labelledWritingContainerIsStoppedForTheCopyAndStartedAgain() throws Exception {
    String data = volume("holdfast-it-data");
    // two files written one after the other, and a log: a copy taken while it runs can catch them out of
    // step. Like a real application it finishes the round it is in when told to stop (SIGTERM).
    String app = container("holdfast-it-app", List.of("--label", DockerVolumeSource.STOP_LABEL + "=true",
        "-v", data + ":/data"), """
        trap 'stop=1' TERM
        i=$(cat /data/a 2>/dev/null || echo 0)
        while [ -z "$stop" ]; do
          i=$((i+1)); echo $i > /data/a; echo "line $i große Daten" >> /data/log; echo $i > /data/b; sleep 0.05
        done
        """);
    String other = container("holdfast-it-reader", List.of("-v", data + ":/data:ro"),
        "trap 'exit 0' TERM; while true; do sleep 1; done");
    Path a = mountpoint(data).resolve("a");
    for (int i = 0; i < 100 && !(Files.exists(a) && Files.readString(a).strip().matches("[1-9][0-9]+")); i++) {
      Thread.sleep(100);
    }
    String startedBefore = inspect(app, "{{.State.StartedAt}}");
    String otherStarted = inspect(other, "{{.State.StartedAt}}");
    Path config = tmp.resolve("holdfast.yaml");
    Path target = tmp.resolve("backups");
    Files.writeString(config, """
        jobs:
          vols:
            sources:
              - docker_volume: {name: %s, docker_host: "%s"}
            target: %s
          failing:
            sources:
              - docker_volume: {name: %s, docker_host: "%s"}
              - command: {run: "exit 9", name: never}
            target: %s
        """.formatted(data, sock, target, data, sock, target));
    Cli cli = new Cli(tmp.resolve("state"));

    Cli.Result b = cli.run("--config", config.toString(), "backup", "vols");

    assertThat(b.exitCode()).as(b.toString()).isZero();
    assertThat(inspect(app, "{{.State.Running}}")).isEqualTo("true");
    assertThat(inspect(app, "{{.State.StartedAt}}")).as("stopped and started again").isNotEqualTo(startedBefore);
    assertThat(inspect(other, "{{.State.StartedAt}}")).as("an unlabelled container is left alone")
        .isEqualTo(otherStarted);
    Cli.Result r = cli.run("restore", "--from", target.toString(), "--target", tmp.resolve("out").toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Path copy = tmp.resolve("out/docker-volumes/" + data);
    String ia = Files.readString(copy.resolve("a")).strip();
    List<String> log = Files.readAllLines(copy.resolve("log"));
    assertThat(Files.readString(copy.resolve("b")).strip()).as("a and b from the same moment").isEqualTo(ia);
    assertThat(log.getLast()).as("the log ends where the counters stopped").isEqualTo("line " + ia + " große Daten");
    // and the container is writing again
    long stored = Long.parseLong(ia);
    for (int i = 0; i < 100 && Long.parseLong(Files.readString(a).strip()) <= stored; i++) {
      Thread.sleep(100);
    }
    assertThat(Long.parseLong(Files.readString(a).strip())).as("writing again after the backup").isGreaterThan(stored);

    String beforeFailing = inspect(app, "{{.State.StartedAt}}");
    Cli.Result failing = cli.run("--config", config.toString(), "backup", "failing");
    assertThat(failing.exitCode()).as(failing.toString()).isEqualTo(1);
    assertThat(inspect(app, "{{.State.Running}}")).as("started again after a failed backup").isEqualTo("true");
    assertThat(inspect(app, "{{.State.StartedAt}}")).as("it was stopped for the failed one too")
        .isNotEqualTo(beforeFailing);
    assertThat(PostgresBackupIT.archives(target)).isEqualTo(1);

    Cli.Result missing = cli.run("backup", "--to", target.toString(), "docker-volume:no-such-volume?docker_host=" + sock);
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("docker volume no-such-volume does not exist");
  }

  @Test
  void backupByLabelPicksExactlyTheLabelledVolumes() throws Exception {
    String l1 = volume("holdfast-it-l1", "holdfast.it.backup=yes", "other=x");
    String l2 = volume("holdfast-it-l2", "holdfast.it.backup=yes");
    String l3 = volume("holdfast-it-l3", "holdfast.it.backup=no");
    String l4 = volume("holdfast-it-l4");
    for (String v : List.of(l1, l2, l3, l4)) {
      Files.writeString(mountpoint(v).resolve("name.txt"), v);
    }
    String app = container("holdfast-it-app2", List.of("--label", DockerVolumeSource.STOP_LABEL + "=true",
        "-v", l2 + ":/data"), "trap 'exit 0' TERM; while true; do sleep 1; done");
    String startedBefore = inspect(app, "{{.State.StartedAt}}");
    Path config = tmp.resolve("holdfast.yaml");
    Path target = tmp.resolve("backups");
    Files.writeString(config, """
        jobs:
          labelled:
            sources:
              - docker_volume: {label: "holdfast.it.backup=yes", docker_host: "%s"}
            target: %s
        """.formatted(sock, target));
    Cli cli = new Cli(tmp.resolve("state"));

    Cli.Result b = cli.run("--config", config.toString(), "backup", "labelled");

    assertThat(b.exitCode()).as(b.toString()).isZero();
    List<String> names = tarList(target);
    assertThat(volumesIn(names)).containsExactly(l1, l2);
    assertThat(names).contains("docker-volumes/" + l1 + "/name.txt", "docker-volumes/" + l2 + "/name.txt");
    assertThat(inspect(app, "{{.State.StartedAt}}")).as("a labelled container on a selected volume is stopped")
        .isNotEqualTo(startedBefore);
    assertThat(inspect(app, "{{.State.Running}}")).isEqualTo("true");

    // the key alone selects every value of it
    Path byKey = tmp.resolve("by-key");
    Cli.Result k = cli.run("backup", "--to", byKey.toString(), "docker-volume:?label=holdfast.it.backup&docker_host=" + sock);
    assertThat(k.exitCode()).as(k.toString()).isZero();
    assertThat(volumesIn(tarList(byKey))).containsExactly(l1, l2, l3);

    Cli.Result none = cli.run("backup", "--to", tmp.resolve("none").toString(),
        "docker-volume:?label=holdfast.it.backup%3Dmaybe&docker_host=" + sock);
    assertThat(none.exitCode()).as(none.toString()).isEqualTo(1);
    assertThat(none.err()).contains("no docker volume", "has the label holdfast.it.backup=maybe");
    assertThat(PostgresBackupIT.archives(tmp.resolve("none"))).isZero();
  }

  @Test
  void restoreIntoAFreshVolumeGivesTheSameFilesOwnersModesTimesAndLinks() throws Exception {
    String src = volume("holdfast-it-src");
    Path m = mountpoint(src);
    Random random = new Random(42);
    Trees.randomFile(m.resolve("blob.bin"), random, 3 * 1024 * 1024 + 17); // 3 MiB + 17 bytes
    Trees.randomFile(m.resolve("deep/er/ünï cödé.dat"), random, 70_000);
    Files.writeString(m.resolve("owned.conf"), "secret=1\n");
    Files.setAttribute(m.resolve("owned.conf"), "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(m.resolve("owned.conf"), "unix:gid", 5678, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(m.resolve("owned.conf"), "unix:mode", 0640);
    Files.createDirectories(m.resolve("private"));
    Files.setAttribute(m.resolve("private"), "unix:mode", 0700);
    Files.createFile(m.resolve("private/empty"));
    Files.setAttribute(m.resolve("private/empty"), "unix:mode", 04755);
    Files.createSymbolicLink(m.resolve("current"), Path.of("deep/er"));
    Files.createSymbolicLink(m.resolve("dangling"), Path.of("/nowhere/at/all"));
    Files.createLink(m.resolve("blob-again.bin"), m.resolve("blob.bin"));
    Trees.setTimes(m, random);
    // the volume's root: postgres-style ownership and mode
    Files.setAttribute(m, "unix:uid", 999, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(m, "unix:gid", 998, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(m, "unix:mode", 0750);
    Files.setLastModifiedTime(m, FileTime.from(Instant.parse("2024-05-06T07:08:09Z")));
    Path target = tmp.resolve("backups");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          app:
            sources:
              - docker_volume: {name: %s, docker_host: "%s"}
            target: %s
        """.formatted(src, sock, target));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result b = cli.run("--config", config.toString(), "backup", "app");
    assertThat(b.exitCode()).as(b.toString()).isZero();
    podman("volume", "rm", "-f", "holdfast-it-copy");
    volumes.add("holdfast-it-copy");
    // no --docker-host: the job's docker_volume source names the engine ($DOCKER_HOST is not set here)
    String[] restore = {"--config", config.toString(), "restore", "--job", "app", "latest", "--volume", src, "--into",
        "holdfast-it-copy", "--helper-image", IMAGE};

    Cli.Result r = cli.run(restore);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("into new volume holdfast-it-copy");
    Path copy = mountpoint("holdfast-it-copy");
    Trees.assertSameTree(m, copy);
    assertThat(Trees.inode(copy.resolve("blob-again.bin"))).as("hard link kept")
        .isEqualTo(Trees.inode(copy.resolve("blob.bin")));
    assertThat(root(copy)).as("the volume root's owner, mode and time").isEqualTo(root(m)).isEqualTo("999:998 750 "
        + Instant.parse("2024-05-06T07:08:09Z").getEpochSecond());
    assertThat(podman("ps", "-a", "-q", "--filter", "label=holdfast.helper=restore")).as("helper removed").isEmpty();
    // read through a container too, as an application would
    String inContainer = podman("run", "--rm", "-v", "holdfast-it-copy:/v:ro", IMAGE, "cat", "/v/owned.conf");
    assertThat(inContainer).isEqualTo("secret=1");

    // a volume with files is refused, unless --clean (emptied first) or --overwrite (written over);
    // a labelled container using it is stopped for the restore and started again, even when refused
    String app = container("holdfast-it-copyapp", List.of("--label", DockerVolumeSource.STOP_LABEL + "=true",
        "-v", "holdfast-it-copy:/data"), "trap 'exit 0' TERM; while true; do sleep 1; done");
    String reader = container("holdfast-it-copyreader", List.of("-v", "holdfast-it-copy:/data:ro"),
        "trap 'exit 0' TERM; while true; do sleep 1; done");
    Files.writeString(copy.resolve("extra.txt"), "not from the backup");
    Files.writeString(copy.resolve("owned.conf"), "changed");
    String appStarted = inspect(app, "{{.State.StartedAt}}");
    String readerStarted = inspect(reader, "{{.State.StartedAt}}");
    Cli.Result refused = cli.run(restore);
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("docker volume holdfast-it-copy is not empty", "--clean", "--overwrite");
    assertThat(copy.resolve("owned.conf")).hasContent("changed");
    assertThat(inspect(app, "{{.State.Running}}")).as("started again after a refused restore").isEqualTo("true");
    assertThat(inspect(app, "{{.State.StartedAt}}")).isNotEqualTo(appStarted);

    appStarted = inspect(app, "{{.State.StartedAt}}");
    Cli.Result overwrite = cli.run(Stream.concat(Stream.of(restore), Stream.of("--overwrite")).toArray(String[]::new));
    assertThat(overwrite.exitCode()).as(overwrite.toString()).isZero();
    assertThat(overwrite.out()).contains("stopped and started again: holdfast-it-copyapp")
        .doesNotContain("holdfast-it-copyreader");
    assertThat(copy.resolve("owned.conf")).hasContent("secret=1\n");
    assertThat(copy.resolve("extra.txt")).as("--overwrite keeps other files").exists();
    assertThat(inspect(app, "{{.State.StartedAt}}")).isNotEqualTo(appStarted);
    assertThat(inspect(reader, "{{.State.StartedAt}}")).as("unlabelled: left running").isEqualTo(readerStarted);

    Cli.Result clean = cli.run(Stream.concat(Stream.of(restore), Stream.of("--clean", "--stop")).toArray(String[]::new));
    assertThat(clean.exitCode()).as(clean.toString()).isZero();
    assertThat(clean.out()).contains("into volume holdfast-it-copy").doesNotContain("new volume")
        .contains("holdfast-it-copyapp", "holdfast-it-copyreader");
    assertThat(inspect(reader, "{{.State.StartedAt}}")).as("--stop stops every user").isNotEqualTo(readerStarted);
    assertThat(inspect(reader, "{{.State.Running}}")).isEqualTo("true");
    assertThat(inspect(app, "{{.State.Running}}")).isEqualTo("true");
    Trees.assertSameTree(m, copy); // extra.txt is gone

    Cli.Result unknown = cli.run("restore", "--from", target.toString(), "--volume", "not-in-it", "--docker-host", sock,
        "--helper-image", IMAGE);
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("holds no docker volume 'not-in-it'", "volumes in it: " + src);
  }

  @Test
  void failedVolumeRestoreRemovesTheVolumeItCreated() throws Exception {
    String src = volume("holdfast-it-src2");
    Trees.randomFile(mountpoint(src).resolve("big.bin"), new Random(5), 2 * 1024 * 1024);
    Path target = tmp.resolve("backups");
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result b = cli.run("backup", "--to", target.toString(), "--compression", "none",
        "docker-volume:" + src + "?docker_host=" + sock);
    assertThat(b.exitCode()).as(b.toString()).isZero();
    volumes.add("holdfast-it-new");
    podman("volume", "rm", "-f", "holdfast-it-new");

    Cli.Result noImage = cli.run("restore", "--from", target.toString(), "--volume", src, "--into", "holdfast-it-new",
        "--docker-host", sock, "--helper-image", "localhost/holdfast-no-such-image:test");
    assertThat(noImage.exitCode()).as(noImage.toString()).isEqualTo(1);
    assertThat(noImage.err()).contains("helper image localhost/holdfast-no-such-image:test", "--helper-image");
    assertThat(podman("volume", "ls", "-q")).as("the volume it created is gone").doesNotContain("holdfast-it-new");

    // one byte of the stored file changed: the tar still reads, the file's SHA-256 does not match
    Path archive;
    try (Stream<Path> s = Files.walk(target)) {
      archive = s.filter(p -> p.toString().endsWith(".tar")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(archive);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(archive, bytes);
    Cli.Result damaged = cli.run("restore", "--from", target.toString(), "--volume", src, "--into", "holdfast-it-new",
        "--docker-host", sock, "--helper-image", IMAGE);
    assertThat(damaged.exitCode()).as(damaged.toString()).isEqualTo(4);
    assertThat(damaged.err()).contains("big.bin", "SHA-256");
    assertThat(podman("volume", "ls", "-q")).doesNotContain("holdfast-it-new");
    assertThat(podman("ps", "-a", "-q", "--filter", "label=holdfast.helper=restore")).as("helper removed").isEmpty();
  }

  private static String root(Path p) throws Exception {
    Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
    return a.get("uid") + ":" + a.get("gid") + " " + Integer.toOctalString((Integer) a.get("mode") & 07777) + " "
        + ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond();
  }
}
