package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshEndpointTest {
  @TempDir Path home;

  @BeforeEach
  void sshDir() throws IOException {
    Files.createDirectories(home.resolve(".ssh"));
  }

  private void config(String text) throws IOException {
    Files.writeString(home.resolve(".ssh/config"), text);
  }

  @Test
  void withoutConfigUsesOpenSshDefaults() {
    var e = SshEndpoint.resolve(SftpTarget.parse("sftp:nas:/srv"), SftpOptions.defaults(), home);
    assertThat(e.user()).isEqualTo(System.getProperty("user.name"));
    assertThat(e.host()).isEqualTo("nas");
    assertThat(e.port()).isEqualTo(22);
    assertThat(e.identityFiles())
        .containsExactly(
            home.resolve(".ssh/id_ed25519"), home.resolve(".ssh/id_ecdsa"), home.resolve(".ssh/id_rsa"));
    assertThat(e.knownHostsFile()).isEqualTo(home.resolve(".ssh/known_hosts"));
  }

  @Test
  void aHostAliasSuppliesHostNameUserPortAndKey() throws IOException {
    config(
        """
        Host nas
          HostName 192.168.1.5
          User backup
          Port 2222
          IdentityFile /keys/nas_ed25519
          UserKnownHostsFile /keys/known_hosts_nas

        Host *
          User fallback
        """);
    var e = SshEndpoint.resolve(SftpTarget.parse("sftp:nas:/volume1/backups"), SftpOptions.defaults(), home);
    assertThat(e.address()).isEqualTo("backup@192.168.1.5:2222");
    assertThat(e.identityFiles()).containsExactly(Path.of("/keys/nas_ed25519"));
    assertThat(e.knownHostsFile()).isEqualTo(Path.of("/keys/known_hosts_nas"));

    var other = SshEndpoint.resolve(SftpTarget.parse("sftp:other:/x"), SftpOptions.defaults(), home);
    assertThat(other.address()).isEqualTo("fallback@other:22");
  }

  @Test
  void theTargetAndOptionsWinOverTheConfig() throws IOException {
    config(
        """
        Host nas
          HostName 192.168.1.5
          User backup
          Port 2222
          IdentityFile /keys/nas_ed25519
        """);
    Path key = Files.writeString(home.resolve("explicit_key"), "not parsed here");
    var options =
        SftpOptions.defaults().withIdentityFile(key, null).withKnownHostsFile(home.resolve("kh"));
    var e = SshEndpoint.resolve(SftpTarget.parse("sftp://admin@nas:2200/srv"), options, home);
    assertThat(e.address()).isEqualTo("admin@192.168.1.5:2200");
    assertThat(e.identityFiles()).containsExactly(key);
    assertThat(e.knownHostsFile()).isEqualTo(home.resolve("kh"));
  }

  @Test
  void anExplicitSshConfigFileIsUsedInsteadOfTheHomeOne() throws IOException {
    config("Host nas\n  HostName wrong.example\n");
    Path other = Files.writeString(home.resolve("ssh_config"), "Host nas\n  HostName right.example\n");
    var e =
        SshEndpoint.resolve(
            SftpTarget.parse("sftp:nas:/srv"), SftpOptions.defaults().withSshConfigFile(other), home);
    assertThat(e.host()).isEqualTo("right.example");
  }

  @Test
  void aMissingIdentityFileIsAUsageError() {
    var options = SftpOptions.defaults().withIdentityFile(home.resolve("nope"), null);
    assertThatThrownBy(() -> SshEndpoint.resolve(SftpTarget.parse("sftp:nas:/srv"), options, home))
        .isInstanceOfSatisfying(
            HoldfastException.class,
            ex -> {
              assertThat(ex.exitCode()).isEqualTo(ExitCode.USAGE);
              assertThat(ex.getMessage()).contains(home.resolve("nope").toString());
            });
  }

  @Test
  void ipv6AddressesAreBracketedInMessages() {
    var e = SshEndpoint.resolve(SftpTarget.parse("sftp://u@[::1]:2222/srv"), SftpOptions.defaults(), home);
    assertThat(e.address()).isEqualTo("u@[::1]:2222");
  }
}
