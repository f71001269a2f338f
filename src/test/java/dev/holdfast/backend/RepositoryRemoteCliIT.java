package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A repository on SFTP (real sshd) and on S3 (s3proxy) from the CLI: init, backup, list, verify,
 * restore; then the real restic binary, given the same place as {@code sftp:} / {@code s3:}
 * repository, checks every byte and lists the snapshot.
 */
class RepositoryRemoteCliIT {
  private static final String PASSWORD = "remote repo password";
  @TempDir static Path dir;
  private static SshdServer sshd;
  private static S3ProxyServer s3;
  private static S3Client raw;
  private static Path knownHosts;
  private static Path keyId;
  private static Path secret;

  @BeforeAll
  static void start() throws Exception {
    sshd = SshdServer.start(dir.resolve("sshd"));
    knownHosts = dir.resolve("known_hosts");
    Files.writeString(knownHosts, sshd.knownHostsLine());
    s3 = new S3ProxyServer(Files.createDirectories(dir.resolve("blobs")));
    s3.start();
    raw = s3.client();
    raw.createBucket(b -> b.bucket("repos"));
    keyId = Files.writeString(dir.resolve("s3-key-id"), S3ProxyServer.ACCESS_KEY + "\n");
    secret = Files.writeString(dir.resolve("s3-secret"), S3ProxyServer.SECRET_KEY + "\n");
  }

  @AfterAll
  static void stop() throws Exception {
    raw.close();
    s3.stop();
    sshd.close();
  }

  private static String[] with(String[] opts, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(opts));
    return all.toArray(String[]::new);
  }

  private static Cli.Result ok(Cli.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void aRepositoryOnSftpAndOnS3IsWrittenByUsAndCheckedByRestic() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/data"));
    Random random = new Random(8);
    Trees.randomFile(src.resolve("big.bin"), random, 2_500_000);
    Trees.randomFile(src.resolve("sub/small.bin"), random, 3_000);
    Files.createSymbolicLink(src.resolve("link"), Path.of("sub/small.bin"));
    Files.createDirectories(src.resolve("empty"));
    Path pw = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
    Path sftpDir = dir.resolve("nas/repo");
    String[] sftpOpts = {"-o", "sftp.identity-file=" + sshd.userKey(), "-o", "sftp.known-hosts-file=" + knownHosts};
    String[] s3Opts = {"-o", "s3.access-key-id-file=" + keyId, "-o", "s3.secret-access-key-file=" + secret};

    record Remote(String name, String url, String[] opts, String resticRepo, List<String> resticArgs, Map<String, String> env) {}
    String ssh = "ssh -p " + sshd.port() + " -i " + sshd.userKey() + " -o UserKnownHostsFile=" + knownHosts
        + " -o StrictHostKeyChecking=yes -o BatchMode=yes root@127.0.0.1 -s sftp";
    List<Remote> remotes = List.of(
        new Remote("sftp", "sftp://root@127.0.0.1:" + sshd.port() + sftpDir, sftpOpts, "sftp:root@127.0.0.1:" + sftpDir,
            List.of("-o", "sftp.command=" + ssh), Map.of()),
        new Remote("s3", "s3:" + s3.endpoint() + "/repos/holdfast", s3Opts, "s3:" + s3.endpoint() + "/repos/holdfast",
            List.of(), Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY)));

    for (Remote remote : remotes) {
      Cli cli = new Cli(dir.resolve("state-" + remote.name()));
      ok(cli.run(with(remote.opts(), "init", "--to", remote.url(), "--format", "repository", "--password-file", pw.toString())));
      Cli.Result backup = ok(cli.run(with(remote.opts(), "backup", "--to", remote.url(), "--password-file", pw.toString(),
          src.toString())));
      assertThat(backup.err()).containsPattern("SUCCESS: snapshot [0-9a-f]{8} stored");
      Cli env = cli.env("HOLDFAST_PASSWORD", PASSWORD);
      assertThat(ok(env.run(with(remote.opts(), "list", "--from", remote.url()))).out()).contains("1 snapshot on");
      assertThat(ok(env.run(with(remote.opts(), "verify", "--from", remote.url(), "--level", "full"))).out()).startsWith("ok ");
      Path restored = dir.resolve("restored-" + remote.name());
      ok(env.run(with(remote.opts(), "restore", "--from", remote.url(), "latest", "--target", restored.toString())));
      Trees.assertSameTree(src, Trees.restored(restored, src));

      List<String> cmd = new ArrayList<>(List.of("restic", "--no-cache", "-r", remote.resticRepo()));
      cmd.addAll(remote.resticArgs());
      Map<String, String> resticEnv = new java.util.HashMap<>(remote.env());
      resticEnv.put("RESTIC_PASSWORD", PASSWORD);
      List<String> check = new ArrayList<>(cmd);
      check.addAll(List.of("check", "--read-data"));
      Processes.Result checked = Processes.run(dir, check, resticEnv);
      assertThat(checked.exitCode()).as("restic on %s: %s", remote.name(), checked).isZero();
      List<String> snapshots = new ArrayList<>(cmd);
      snapshots.addAll(List.of("snapshots", "--json"));
      Processes.Result listed = Processes.run(dir, snapshots, resticEnv);
      assertThat(listed.exitCode()).as(listed.toString()).isZero();
      assertThat(listed.out()).contains(src.toString());
    }
  }
}
