package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.AwkwardTree;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast mirror --to sftp://…} against a real OpenSSH sshd serving a local directory, so
 * rsync can judge the result: content, modes, whole-second mtimes, owners and symlinks as links
 * (hard links arrive as separate copies; link times are not set over SFTP).
 */
class MirrorSftpIT {
  @TempDir static Path dir;
  private static SshdServer sshd;
  private static Path knownHosts;

  @BeforeAll
  static void start() throws Exception {
    sshd = SshdServer.start(dir.resolve("sshd"));
    knownHosts = dir.resolve("known_hosts");
    Files.writeString(knownHosts, sshd.knownHostsLine());
  }

  @AfterAll
  static void stop() throws Exception {
    sshd.close();
  }

  @Test
  void anAwkwardTreeMirroredOverSftpLeavesRsyncNothingToDo() throws Exception {
    Path src = AwkwardTree.create(dir.resolve("src"), 21).root();
    Path nas = dir.resolve("nas/copy");
    String url = "sftp://root@127.0.0.1:" + sshd.port() + nas;
    Cli cli = new Cli(dir.resolve("state"));
    String[] opts = {"-o", "sftp.identity-file=" + sshd.userKey(), "-o", "sftp.known-hosts-file=" + knownHosts};

    Cli.Result r = cli.run(args(opts, "mirror", src.toString(), "--to", url, "--delete"));
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).contains("SUCCESS: mirror mirror to " + url);
    assertThat(rsync(src, nas)).isEmpty();

    Files.writeString(nas.resolve("extraneous"), "x");
    Files.writeString(src.resolve("data/size-1.bin"), "changed");
    Cli.Result again = cli.run(args(opts, "-v", "mirror", src.toString(), "--to", url, "--delete"));
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("*deleting   extraneous", ">f.st...... data/size-1.bin");
    assertThat(rsync(src, nas)).isEmpty();

    Cli.Result unchanged = cli.run(args(opts, "-v", "mirror", src.toString(), "--to", url, "--delete"));
    assertThat(unchanged.out()).as(unchanged.toString()).isEmpty();
  }

  private static String[] args(String[] opts, String... rest) {
    List<String> all = new ArrayList<>(List.of(opts));
    all.addAll(List.of(rest));
    return all.toArray(String[]::new);
  }

  private static String rsync(Path from, Path to) {
    Processes.Result r = Processes.run(from, List.of("rsync", "-ani", "--delete", "--omit-link-times", from + "/", to + "/"));
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r.out();
  }
}
