package dev.holdfast.backend;

import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.config.hosts.HostConfigEntry;

/**
 * The SSH connection parameters after applying ~/.ssh/config and OpenSSH's defaults to an {@link
 * SftpTarget} and {@link SftpOptions}: whom to log in as, where, with which key files, checked
 * against which known_hosts file.
 *
 * @param identityFiles the private key files to offer, in order; those that do not exist are
 *     skipped when connecting, but named in an authentication failure
 */
record SshEndpoint(
    String user, String host, int port, List<Path> identityFiles, Path knownHostsFile) {

  static final List<String> DEFAULT_IDENTITIES = List.of("id_ed25519", "id_ecdsa", "id_rsa");

  SshEndpoint {
    identityFiles = List.copyOf(identityFiles);
  }

  /**
   * Applies OpenSSH's precedence: what the target and options say explicitly wins over the first
   * matching ~/.ssh/config value, which wins over the defaults. {@code home} stands for "~".
   */
  static SshEndpoint resolve(SftpTarget target, SftpOptions options, Path home) {
    Path configFile =
        options.sshConfigFile() != null ? options.sshConfigFile() : home.resolve(".ssh/config");
    HostConfigEntry entry = null;
    if (Files.isRegularFile(configFile)) {
      try {
        entry =
            HostConfigEntry.toHostConfigEntryResolver(HostConfigEntry.readHostConfigEntries(configFile))
                .resolveEffectiveHost(target.host(), target.port(), null, target.user(), null, null);
      } catch (IOException | RuntimeException e) {
        throw HoldfastException.usage(
            "cannot read SSH client configuration " + configFile + ": " + e.getMessage(),
            "fix the file, or point ssh_config_file at another one");
      }
    }

    String user = target.user();
    String host = target.host();
    int port = target.port();
    List<Path> identities = new ArrayList<>();
    Path knownHosts = options.knownHostsFile();
    if (entry != null) {
      if (user == null && notBlank(entry.getUsername())) {
        user = entry.getUsername();
      }
      if (notBlank(entry.getHostName())) {
        host = entry.getHostName();
      }
      if (port == 0 && entry.getPort() > 0) {
        port = entry.getPort();
      }
      for (String id : entry.getIdentities()) {
        identities.add(expandHome(id, home));
      }
      String userKnownHosts = entry.getProperty("UserKnownHostsFile");
      if (knownHosts == null && notBlank(userKnownHosts)) {
        // OpenSSH allows several; the first is the one it writes to and the one we use.
        knownHosts = expandHome(userKnownHosts.strip().split("\\s+")[0], home);
      }
    }
    if (user == null) {
      user = System.getProperty("user.name");
    }
    if (port == 0) {
      port = SftpTarget.DEFAULT_PORT;
    }
    if (options.identityFile() != null) {
      if (!Files.isRegularFile(options.identityFile())) {
        throw HoldfastException.usage(
            "identity_file " + options.identityFile() + " does not exist or is not a file",
            "point identity_file at an OpenSSH private key, e.g. ~/.ssh/id_ed25519");
      }
      identities = List.of(options.identityFile());
    } else if (identities.isEmpty()) {
      // As OpenSSH: the default keys only when nothing names a key.
      for (String name : DEFAULT_IDENTITIES) {
        identities.add(home.resolve(".ssh").resolve(name));
      }
    }
    if (knownHosts == null) {
      knownHosts = home.resolve(".ssh/known_hosts");
    }
    return new SshEndpoint(user, host, port, identities, knownHosts);
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }

  private static Path expandHome(String file, Path home) {
    if (file.equals("~")) {
      return home;
    }
    if (file.startsWith("~/")) {
      return home.resolve(file.substring(2));
    }
    return Path.of(file);
  }

  /** user@host:port, with IPv6 addresses in brackets, for messages. */
  String address() {
    return user + "@" + hostAndPort();
  }

  /** host:port as ssh-keyscan and known_hosts write it for non-default ports. */
  String hostAndPort() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
