package dev.holdfast.backend;

import dev.holdfast.error.HoldfastException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * How {@link SftpBackend} logs in and checks the server; a null field means "as OpenSSH would":
 * keys and aliases from ~/.ssh/config, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa, and
 * ~/.ssh/known_hosts.
 *
 * @param identityFile an OpenSSH private key file; null for ~/.ssh/config's IdentityFile or the
 *     default keys
 * @param passphrase the key's passphrase, read by the caller from a file or the environment; null
 *     when the key has none
 * @param knownHostsFile the known_hosts file; null for ~/.ssh/config's UserKnownHostsFile or
 *     ~/.ssh/known_hosts
 * @param hostKeyPolicy what to do with a host key the known_hosts file does not list
 * @param sshConfigFile the OpenSSH client configuration; null for ~/.ssh/config (a missing file is
 *     fine)
 * @param connectTimeout how long connecting, the key exchange and logging in may each take
 */
public record SftpOptions(
    Path identityFile,
    char[] passphrase,
    Path knownHostsFile,
    HostKeyPolicy hostKeyPolicy,
    Path sshConfigFile,
    Duration connectTimeout) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);

  /** What to do with the server's host key, as OpenSSH's StrictHostKeyChecking. */
  public enum HostKeyPolicy {
    /** Refuse hosts that known_hosts does not list, and hosts whose key changed. */
    STRICT,
    /** Add unknown hosts to known_hosts (trust on first use); still refuse changed keys. */
    ACCEPT_NEW;

    /** Reads the configuration spelling: {@code strict} or {@code accept-new}. */
    public static HostKeyPolicy parse(String text) {
      String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
      return switch (t) {
        case "strict", "yes" -> STRICT;
        case "accept-new" -> ACCEPT_NEW;
        default ->
            throw HoldfastException.usage(
                "invalid host_key_policy '" + text + "'", "use strict (the default) or accept-new");
      };
    }

    public String configName() {
      return this == STRICT ? "strict" : "accept-new";
    }
  }

  public SftpOptions {
    if (hostKeyPolicy == null) {
      hostKeyPolicy = HostKeyPolicy.STRICT;
    }
    if (connectTimeout == null) {
      connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    }
    if (connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("connect timeout must be positive: " + connectTimeout);
    }
  }

  public static SftpOptions defaults() {
    return new SftpOptions(null, null, null, HostKeyPolicy.STRICT, null, DEFAULT_CONNECT_TIMEOUT);
  }

  public SftpOptions withIdentityFile(Path file, char[] passphrase) {
    return new SftpOptions(file, passphrase, knownHostsFile, hostKeyPolicy, sshConfigFile, connectTimeout);
  }

  public SftpOptions withKnownHostsFile(Path file) {
    return new SftpOptions(identityFile, passphrase, file, hostKeyPolicy, sshConfigFile, connectTimeout);
  }

  public SftpOptions withHostKeyPolicy(HostKeyPolicy policy) {
    return new SftpOptions(identityFile, passphrase, knownHostsFile, policy, sshConfigFile, connectTimeout);
  }

  public SftpOptions withSshConfigFile(Path file) {
    return new SftpOptions(identityFile, passphrase, knownHostsFile, hostKeyPolicy, file, connectTimeout);
  }

  public SftpOptions withConnectTimeout(Duration timeout) {
    return new SftpOptions(identityFile, passphrase, knownHostsFile, hostKeyPolicy, sshConfigFile, timeout);
  }

  /** Never shows the passphrase. */
  @Override
  public String toString() {
    return "SftpOptions[identityFile=" + identityFile
        + ", passphrase=" + (passphrase == null ? "none" : "***")
        + ", knownHostsFile=" + knownHostsFile
        + ", hostKeyPolicy=" + hostKeyPolicy.configName()
        + ", sshConfigFile=" + sshConfigFile
        + ", connectTimeout=" + connectTimeout + "]";
  }
}
