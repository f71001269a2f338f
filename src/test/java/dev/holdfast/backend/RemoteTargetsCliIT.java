package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Every command end to end from the CLI against a real OpenSSH sshd and a real S3 server
 * (s3proxy) on 127.0.0.1: backup, list, verify, restore, copy local → SFTP → S3 (idempotent),
 * doctor, and the exit codes for a wrong key, a wrong secret and an unknown host key.
 */
class RemoteTargetsCliIT {
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
    raw.createBucket(b -> b.bucket("backups"));
    keyId = Files.writeString(dir.resolve("s3-key-id"), S3ProxyServer.ACCESS_KEY + "\n");
    secret = Files.writeString(dir.resolve("s3-secret"), S3ProxyServer.SECRET_KEY + "\n");
  }

  @AfterAll
  static void stop() throws Exception {
    raw.close();
    s3.stop();
    sshd.close();
  }

  private String sftpUrl() {
    return "sftp://root@127.0.0.1:" + sshd.port() + dir.resolve("nas").toString();
  }

  private String s3Url() {
    return "s3:" + s3.endpoint() + "/backups/holdfast";
  }

  private String[] sftpOpts() {
    return new String[] {"-o", "sftp.identity-file=" + sshd.userKey(), "-o", "sftp.known-hosts-file=" + knownHosts};
  }

  private String[] s3Opts() {
    return new String[] {"-o", "s3.access-key-id-file=" + keyId, "-o", "s3.secret-access-key-file=" + secret};
  }

  private static String[] args(String[] opts, String... rest) {
    String[] all = new String[opts.length + rest.length];
    System.arraycopy(rest, 0, all, 0, rest.length);
    System.arraycopy(opts, 0, all, rest.length, opts.length);
    return all;
  }

  @Test
  void everyCommandWorksOnSftpAndS3AndCopyIsIdempotent() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/data"));
    Random r = new Random(42);
    byte[] big = new byte[3_000_000];
    r.nextBytes(big);
    Files.write(src.resolve("big.bin"), big);
    Files.writeString(src.resolve("notes.txt"), "hello NAS\n");
    Cli cli = new Cli(dir.resolve("state"));
    Path local = dir.resolve("local");

    assertThat(cli.run("backup", "--to", local.toString(), src.toString()).exitCode()).isZero();
    // straight to the NAS, too
    assertThat(cli.run(args(sftpOpts(), "backup", "--to", sftpUrl(), "--job-name", "nas", src.toString())).exitCode())
        .isZero();

    Cli.Result toSftp = cli.run(args(sftpOpts(), "copy", "--from", local.toString(), "--to", sftpUrl()));
    assertThat(toSftp.exitCode()).as(toSftp.all()).isZero();
    assertThat(toSftp.out()).contains("copied 1 backup");
    String[] both = new String[sftpOpts().length + s3Opts().length];
    System.arraycopy(sftpOpts(), 0, both, 0, sftpOpts().length);
    System.arraycopy(s3Opts(), 0, both, sftpOpts().length, s3Opts().length);
    Cli.Result toS3 = cli.run(args(both, "copy", "--from", sftpUrl(), "--to", s3Url()));
    assertThat(toS3.exitCode()).as(toS3.all()).isZero();
    assertThat(toS3.out()).contains("copied 2 backups");
    Cli.Result again = cli.run(args(both, "copy", "--from", sftpUrl(), "--to", s3Url()));
    assertThat(again.out()).as("a second copy transfers nothing").contains("copied 0 backups").contains("2 already present");

    for (String[] target : new String[][] {{sftpUrl(), "sftp"}, {s3Url(), "s3"}}) {
      String[] opts = target[1].equals("sftp") ? sftpOpts() : s3Opts();
      Cli.Result list = cli.run(args(opts, "list", "--from", target[0]));
      assertThat(list.exitCode()).as(list.all()).isZero();
      assertThat(list.out()).contains("2 backups");
      Cli.Result verify = cli.run(args(opts, "verify", "--from", target[0], "--all"));
      assertThat(verify.exitCode()).as(verify.all()).isZero();
      Path restored = dir.resolve("restored-" + target[1]);
      Cli.Result restore = cli.run(args(opts, "restore", "--from", target[0], "latest", "--target", restored.toString()));
      assertThat(restore.exitCode()).as(restore.all()).isZero();
      Trees.assertSameTree(src, restored.resolve(src.toString().substring(1)));
      Cli.Result doctor = cli.run(args(opts, "doctor", "--to", target[0]));
      assertThat(doctor.exitCode()).as(doctor.all()).isZero();
      assertThat(doctor.out()).contains("writable").doesNotContain("FAIL");

      // retention on the remote target: a second "backup" run makes that group two backups
      Thread.sleep(1100); // a new archive name (the default template is per second)
      assertThat(cli.run(args(opts, "backup", "--to", target[0], src.toString())).exitCode()).isZero();
      Cli.Result dry = cli.run(args(opts, "forget", "--from", target[0], "--keep-last", "1", "--dry-run"));
      assertThat(dry.exitCode()).as(dry.all()).isZero();
      // per group (host and job): every backup with keep/remove and the rule that kept it
      assertThat(dry.out()).contains("job backup: keep 1 last", "job nas: keep 1 last",
          "1 to keep, 1 to remove (dry run: nothing removed)", "1 to keep, 0 to remove (dry run: nothing removed)");
      assertThat(dry.out().lines().filter(l -> l.trim().startsWith("remove")).toList()).hasSize(1);
      assertThat(dry.out().lines().filter(l -> l.trim().startsWith("keep") && l.trim().endsWith("last")).toList())
          .hasSize(2);
      assertThat(cli.run(args(opts, "list", "--from", target[0])).out()).contains("3 backups");
      Cli.Result forget = cli.run(args(opts, "forget", "--from", target[0], "--keep-last", "1"));
      assertThat(forget.exitCode()).as(forget.all()).isZero();
      Cli.Result after = cli.run(args(opts, "list", "--from", target[0]));
      assertThat(after.out()).contains("2 backups");
      assertThat(cli.run(args(opts, "verify", "--from", target[0], "--all")).exitCode()).isZero();
    }
  }

  @Test
  void wrongSshKeyIsExit13WithAClearMessage() throws Exception {
    Path otherKey = SshdServer.generateKey(dir.resolve("other_key"), "");
    Cli cli = new Cli(dir.resolve("state-wrongkey"));
    Cli.Result r = cli.run("list", "--from", sftpUrl(), "-o", "sftp.identity-file=" + otherKey,
        "-o", "sftp.known-hosts-file=" + knownHosts, "-o", "sftp.retries=0");
    assertThat(r.exitCode()).as(r.all()).isEqualTo(13);
    assertThat(r.err()).startsWith("error: ").contains("127.0.0.1").doesNotContain("Exception");
  }

  @Test
  void unknownHostKeyIsRefusedWithExit13() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty_known_hosts"), "");
    Cli.Result r = new Cli(dir.resolve("state-hostkey")).run("list", "--from", sftpUrl(),
        "-o", "sftp.identity-file=" + sshd.userKey(), "-o", "sftp.known-hosts-file=" + empty);
    assertThat(r.exitCode()).as(r.all()).isEqualTo(13);
    assertThat(r.err()).contains("SHA256:").contains("hint:");
  }

  @Test
  void aRetryRecoversWhenTheServerComesBack() throws Exception {
    Cli cli = new Cli(dir.resolve("state-retry"));
    s3.stop();
    Thread restart = new Thread(() -> {
      try {
        Thread.sleep(1500);
        s3.start();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    restart.start();
    try {
      // exponential backoff (0.5 s base, up to 4 retries) outlasts the 1.5 s outage
      Cli.Result r = cli.run(args(s3Opts(), "list", "--from", s3Url(), "-o", "s3.retries=8"));
      assertThat(r.exitCode()).as(r.all()).isZero();
      // list's first request looks for a repository's config object, then it lists the archives
      assertThat(r.err()).containsPattern("WARNING: retrying (listing|checking config)");
    } finally {
      restart.join();
    }
  }

  @Test
  void wrongS3SecretIsExit13AndNeverPrinted() throws Exception {
    Path wrong = Files.writeString(dir.resolve("wrong-secret"), "not-the-secret-9876\n");
    Cli.Result r = new Cli(dir.resolve("state-s3")).run("list", "--from", s3Url(),
        "-o", "s3.access-key-id-file=" + keyId, "-o", "s3.secret-access-key-file=" + wrong);
    assertThat(r.exitCode()).as(r.all()).isEqualTo(13);
    assertThat(r.all()).doesNotContain("not-the-secret-9876").doesNotContain(S3ProxyServer.SECRET_KEY);
  }
}
