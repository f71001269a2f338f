package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.SftpOptions.HostKeyPolicy;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SftpTargetTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "null",
      value = {
        "sftp://backup@nas:2222/volume1/backups  | backup | nas         | 2222 | /volume1/backups",
        "sftp://nas/volume1/backups              | null   | nas         | 0    | /volume1/backups",
        "sftp://nas/volume1/backups/             | null   | nas         | 0    | /volume1/backups",
        "sftp://backup@nas//srv/restic           | backup | nas         | 0    | /srv/restic",
        "sftp://nas/~/backups                    | null   | nas         | 0    | backups",
        "sftp://u@[::1]:2222/srv/x               | u      | ::1         | 2222 | /srv/x",
        "sftp://[fe80::1]/srv/x                  | null   | fe80::1     | 0    | /srv/x",
        "sftp://u@10.0.0.5:22/srv                | u      | 10.0.0.5    | 22   | /srv",
        "sftp:nas:/srv/backups                   | null   | nas         | 0    | /srv/backups",
        "sftp:backup@nas:/srv/backups            | backup | nas         | 0    | /srv/backups",
        "sftp:backup@nas:backups                 | backup | nas         | 0    | backups",
        "sftp:nas:/path/with@at:and:colons       | null   | nas         | 0    | /path/with@at:and:colons",
        "sftp:u@[::1]:/srv/x                     | u      | ::1         | 0    | /srv/x",
        "sftp:nas.example.org:/a/                | null   | nas.example.org | 0 | /a",
      })
  void parses(String spec, String user, String host, int port, String path) {
    assertThat(SftpTarget.parse(spec)).isEqualTo(new SftpTarget(user, host, port, path));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "",
        "nas:/srv",
        "s3://bucket/x",
        "sftp://nas",
        "sftp://nas/",
        "sftp://nas//",
        "sftp://nas/~",
        "sftp://nas:0/srv",
        "sftp://nas:70000/srv",
        "sftp://nas:ssh/srv",
        "sftp://@nas/srv",
        "sftp:///srv",
        "sftp://[::1/srv",
        "sftp://[::1]x/srv",
        "sftp:nas",
        "sftp:nas:",
        "sftp:nas:/",
        "sftp::/srv",
        "sftp://host name/srv",
      })
  void rejects(String spec) {
    assertThatThrownBy(() -> SftpTarget.parse(spec))
        .isInstanceOfSatisfying(
            HoldfastException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
              assertThat(e.getMessage()).startsWith("invalid SFTP target");
              assertThat(e.hint()).contains("sftp://user@host:port/");
            });
  }

  @Test
  void aPasswordInTheTargetIsRefusedAndNeverEchoed() {
    assertThatThrownBy(() -> SftpTarget.parse("sftp://backup:hunter2@nas/srv"))
        .isInstanceOfSatisfying(
            HoldfastException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
              assertThat(e.getMessage()).contains("passwords").doesNotContain("hunter2");
            });
  }

  @Test
  void urlRoundTripsThroughParse() {
    for (String spec :
        new String[] {"sftp://u@nas:2222/srv/b", "sftp://nas/~/rel/b", "sftp://u@[::1]:22/x", "sftp://nas/x"}) {
      SftpTarget t = SftpTarget.parse(spec);
      assertThat(t.toString()).isEqualTo(spec);
      assertThat(SftpTarget.parse(t.toString())).isEqualTo(t);
    }
    assertThat(SftpTarget.url("root", "::1", 2222, "rel")).isEqualTo("sftp://root@[::1]:2222/~/rel");
  }

  @Test
  void hostKeyPolicyReadsTheConfigurationSpelling() {
    assertThat(HostKeyPolicy.parse("strict")).isEqualTo(HostKeyPolicy.STRICT);
    assertThat(HostKeyPolicy.parse(" Accept-New ")).isEqualTo(HostKeyPolicy.ACCEPT_NEW);
    assertThatThrownBy(() -> HostKeyPolicy.parse("no"))
        .isInstanceOfSatisfying(
            HoldfastException.class, e -> assertThat(e.hint()).contains("accept-new"));
  }

  @Test
  void optionsNeverPrintThePassphrase() {
    var options = SftpOptions.defaults().withIdentityFile(java.nio.file.Path.of("/k"), "s3cret".toCharArray());
    assertThat(options.toString()).doesNotContain("s3cret").contains("***");
    assertThat(SftpOptions.defaults().hostKeyPolicy()).isEqualTo(HostKeyPolicy.STRICT);
  }
}
