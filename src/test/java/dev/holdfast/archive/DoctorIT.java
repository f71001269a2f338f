package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast doctor} from a config: primary and off-site targets, recipient keys, passphrase
 * files and mirror mounts each get a row; any FAIL is exit 13. The unreachable off-site target is a
 * loopback port nothing listens on; an unplugged drive is a plain directory that must stay empty.
 */
class DoctorIT {
  @TempDir Path tmp;

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void everyTargetKeyAndMountIsCheckedAndAnyFailureIsExit13() throws Exception {
    GeneratedKey good = GeneratedKey.ed25519(tmp, "good");
    GeneratedKey signing = GeneratedKey.signOnly(tmp, "signing");
    Path emptyPassphrase = tmp.resolve("empty.pass");
    Files.writeString(emptyPassphrase, "\n");
    Path drive = tmp.resolve("media/usb");
    Files.createDirectories(drive);
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          nightly:
            sources: [%1$s]
            target: %2$s/primary
            offsite:
              - target: {url: "sftp://backup@127.0.0.1:%3$d/backups", retries: 0, connect_timeout: 5s}
            encryption:
              recipients: [%4$s, %5$s]
              passphrase_file: %6$s
          usb:
            format: mirror
            sources: [%1$s]
            target: %7$s/copy
            require_mount: %7$s
        """.formatted(tmp, tmp, closedPort(), good.publicKeyFile(), signing.publicKeyFile(), emptyPassphrase, drive));
    Cli.Result r = new Cli(tmp.resolve("state")).run("--config", config.toString(), "doctor");

    assertThat(r.exitCode()).as(r.all()).isEqualTo(13);
    assertThat(r.out().lines())
        .anySatisfy(l -> assertThat(l).startsWith("ok").contains("nightly").contains("writable").contains(tmp + "/primary"))
        .anySatisfy(l -> assertThat(l).startsWith("FAIL").contains("nightly (offsite)").contains("127.0.0.1"))
        .anySatisfy(l -> assertThat(l).startsWith("ok").contains("key").contains(good.publicKeyFile().toString()))
        .anySatisfy(l -> assertThat(l).startsWith("FAIL").contains("key").contains(signing.publicKeyFile().toString()))
        .anySatisfy(l -> assertThat(l).startsWith("FAIL").contains("passphrase").contains("empty"))
        .anySatisfy(l -> assertThat(l).startsWith("FAIL").contains("usb").contains("mount").contains("not a mount point"));
    assertThat(r.err()).contains("error: 4 checks failed");
    assertThat(drive).as("an absent drive's directory is not probed").isEmptyDirectory();

    Files.writeString(emptyPassphrase, "correct horse battery staple\n");
    Files.writeString(config, """
        jobs:
          nightly:
            sources: [%s]
            target: %s/primary
            encryption:
              recipients: [%s]
              passphrase_file: %s
        """.formatted(tmp, tmp, good.publicKeyFile(), emptyPassphrase));
    Cli.Result ok = new Cli(tmp.resolve("state")).run("--config", config.toString(), "doctor");
    assertThat(ok.exitCode()).as(ok.all()).isZero();
    assertThat(ok.out()).doesNotContain("FAIL").doesNotContain("correct horse");
  }
}
