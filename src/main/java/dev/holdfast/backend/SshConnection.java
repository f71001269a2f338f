package dev.holdfast.backend;

import dev.holdfast.backend.SftpOptions.HostKeyPolicy;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.PasswordIdentityProvider;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH session with one SFTP channel, opened on first use, reopened on the next use after it
 * dropped, and shared by all threads (MINA's SFTP client matches replies to requests by id).
 * Failures to connect, to trust the server or to log in become {@link HoldfastException}s with
 * {@link ExitCode#UNREACHABLE} that say what to do. Refusals that another attempt cannot change (host
 * key, rejected keys) carry no cause, so that a retry policy looking for network causes leaves them
 * alone; network failures keep theirs.
 */
final class SshConnection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SshConnection.class);

  /** Why the host key check refused the server, left on the session by the verifier. */
  private record HostKeyProblem(Kind kind, PublicKey offered, PublicKey expected, String reason) {
    enum Kind {
      UNKNOWN,
      CHANGED,
      REVOKED,
      /** The known-hosts file could not be read or parsed; {@code reason} says why. */
      UNREADABLE
    }

    HostKeyProblem(Kind kind, PublicKey offered, PublicKey expected) {
      this(kind, offered, expected, null);
    }
  }

  /**
   * Why the verifier refused the last connection's host key. Kept here, not as a session attribute:
   * the session is closed on the I/O thread as soon as the key is refused, and closing it could
   * clear its attributes before the caller read them (CI saw refusals without their reason).
   */
  private volatile HostKeyProblem hostKeyProblem;

  private record LoadedKeys(List<KeyPair> keys, List<String> tried) {}

  private final SshEndpoint endpoint;
  private final HostKeyPolicy policy;
  private final char[] passphrase;
  private final boolean explicitIdentity;
  private final Duration timeout;

  private SshClient client;
  private ClientSession session;
  private SftpClient sftp;
  private boolean closed;

  SshConnection(SshEndpoint endpoint, SftpOptions options) {
    this.endpoint = endpoint;
    this.policy = options.hostKeyPolicy();
    this.passphrase = options.passphrase() == null ? null : options.passphrase().clone();
    this.explicitIdentity = options.identityFile() != null;
    this.timeout = options.connectTimeout();
  }

  /** The SFTP client of a live session, connecting first if there is none. */
  synchronized SftpClient sftp() throws IOException {
    if (closed) {
      throw new IOException("the SFTP connection to " + endpoint.address() + " is closed");
    }
    if (sftp != null && sftp.isOpen() && session.isOpen()) {
      return sftp;
    }
    dropSession();
    connect();
    return sftp;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    dropSession();
    if (client != null) {
      client.stop();
      client = null;
    }
    if (passphrase != null) {
      java.util.Arrays.fill(passphrase, '\0');
    }
  }

  private void dropSession() {
    if (sftp != null) {
      try {
        sftp.close();
      } catch (IOException | RuntimeException e) {
        log.debug("closing SFTP channel to {}", endpoint.address(), e);
      }
      sftp = null;
    }
    if (session != null) {
      session.close(true);
      session = null;
    }
  }

  private void connect() {
    LoadedKeys keys = loadKeys();
    hostKeyProblem = null;
    if (client == null) {
      client = newClient();
      client.start();
    }
    ClientSession s;
    try {
      s =
          client
              .connect(endpoint.user(), endpoint.host(), endpoint.port())
              .verify(timeout)
              .getClientSession();
    } catch (IOException | RuntimeException e) {
      throw unreachable(e);
    }
    try {
      keys.keys().forEach(s::addPublicKeyIdentity);
      s.auth().verify(timeout);
      SftpClient c = SftpClientFactory.instance().createSftpClient(s);
      session = s;
      sftp = c;
    } catch (IOException | RuntimeException e) {
      HostKeyProblem problem = hostKeyProblem;
      PublicKey offered = s.getServerKey();
      s.close(true);
      if (problem != null) {
        throw hostKeyRefused(problem);
      }
      if (hasDisconnectCode(e, SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE)) {
        throw authenticationFailed(keys);
      }
      if (hasDisconnectCode(e, SshConstants.SSH2_DISCONNECT_HOST_KEY_NOT_VERIFIABLE)) {
        // the verifier refused without saying why (it always should): still name the key offered
        throw new HoldfastException(
            ExitCode.UNREACHABLE,
            "refusing SFTP server " + endpoint.hostAndPort() + ": its host key did not verify"
                + (offered == null ? "" : "; it offered " + KeyUtils.getKeyType(offered) + " key "
                    + KeyUtils.getFingerPrint(offered)),
            "compare it with the server's (on the server: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and with "
                + endpoint.knownHostsFile(),
            null);
      }
      if (s.isAuthenticated()) {
        throw new HoldfastException(
            ExitCode.UNREACHABLE,
            "cannot start SFTP on " + endpoint.address() + ": " + reason(e),
            "check that the server enables the sftp subsystem (Subsystem sftp in sshd_config)",
            e);
      }
      throw unreachable(e);
    }
  }

  private SshClient newClient() {
    SshClient c = SshClient.setUpDefaultClient();
    // Everything comes from the SshEndpoint, which already applied ~/.ssh/config; offer only its
    // keys so that an authentication failure can say exactly what was tried.
    c.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
    c.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
    c.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
    c.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
    c.setServerKeyVerifier(hostKeyVerifier());
    return c;
  }

  private ServerKeyVerifier hostKeyVerifier() {
    Path knownHosts = endpoint.knownHostsFile();
    if (policy == HostKeyPolicy.ACCEPT_NEW) {
      createPrivateDirectory(knownHosts.toAbsolutePath().getParent());
    }
    ServerKeyVerifier unknown =
        (s, remote, key) -> {
          if (policy == HostKeyPolicy.ACCEPT_NEW) {
            log.info(
                "adding host key {} {} of {} to {}",
                KeyUtils.getKeyType(key),
                KeyUtils.getFingerPrint(key),
                endpoint.hostAndPort(),
                knownHosts);
            return true;
          }
          hostKeyProblem = new HostKeyProblem(HostKeyProblem.Kind.UNKNOWN, key, null);
          return false;
        };
    var verifier =
        new KnownHostsServerKeyVerifier(unknown, knownHosts) {
          @Override
          protected void handleRevokedKey(ClientSession s, SocketAddress remote, PublicKey key) {
            hostKeyProblem = new HostKeyProblem(HostKeyProblem.Kind.REVOKED, key, null);
          }

          @Override
          protected boolean acceptIncompleteHostKeys(ClientSession s, SocketAddress remote, PublicKey key,
              Throwable reason) {
            hostKeyProblem = new HostKeyProblem(HostKeyProblem.Kind.UNREADABLE, key, null,
                reason == null || reason.getMessage() == null ? String.valueOf(reason) : reason.getMessage());
            return false;
          }
        };
    verifier.setModifiedServerKeyAcceptor(
        (ClientSession s, SocketAddress remote, KnownHostEntry entry, PublicKey expected, PublicKey actual) -> {
          hostKeyProblem = new HostKeyProblem(HostKeyProblem.Kind.CHANGED, actual, expected);
          return false;
        });
    return verifier;
  }

  private static void createPrivateDirectory(Path dir) {
    if (dir == null || Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException | UnsupportedOperationException e) {
      log.warn("cannot create {} for the known_hosts file: {}", dir, e.toString());
    }
  }

  private LoadedKeys loadKeys() {
    FilePasswordProvider password =
        passphrase == null ? FilePasswordProvider.EMPTY : FilePasswordProvider.of(new String(passphrase));
    List<KeyPair> keys = new ArrayList<>();
    List<String> tried = new ArrayList<>();
    for (Path file : endpoint.identityFiles()) {
      if (!Files.isRegularFile(file)) {
        tried.add(file + " (not found)");
        continue;
      }
      try (InputStream in = Files.newInputStream(file)) {
        Iterable<KeyPair> loaded =
            SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in, password);
        int before = keys.size();
        if (loaded != null) {
          loaded.forEach(keys::add);
        }
        if (keys.size() == before) {
          tried.add(file + " (no private key in the file)");
          continue;
        }
        for (KeyPair kp : keys.subList(before, keys.size())) {
          tried.add(file + " (" + KeyUtils.getKeyType(kp) + " " + KeyUtils.getFingerPrint(kp.getPublic()) + ")");
        }
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        String why = keyProblem(e);
        if (explicitIdentity) {
          throw new HoldfastException(
              ExitCode.UNREACHABLE,
              "cannot log in to " + endpoint.address() + ": cannot use identity_file " + file + ": " + why,
              passphrase == null
                  ? "if the key has a passphrase, supply it"
                  : "check the passphrase and that the file is an OpenSSH private key",
              e);
        }
        tried.add(file + " (unusable: " + why + ")");
      }
    }
    if (keys.isEmpty()) {
      throw new HoldfastException(
          ExitCode.UNREACHABLE,
          "cannot log in to " + endpoint.address() + ": no usable private key; tried " + String.join(", ", tried),
          "set identity_file to an OpenSSH private key whose public key is in the server's authorized_keys");
    }
    return new LoadedKeys(keys, tried);
  }

  private String keyProblem(Exception e) {
    String msg = String.valueOf(e.getMessage());
    String lower = msg.toLowerCase(java.util.Locale.ROOT);
    if (passphrase == null && (lower.contains("password") || lower.contains("passphrase") || lower.contains("encrypt"))) {
      return "the key is encrypted and no passphrase was given";
    }
    if (passphrase != null
        && (lower.contains("password") || lower.contains("passphrase") || lower.contains("decrypt")
            || lower.contains("padding") || lower.contains("check"))) {
      return "wrong passphrase, or the key is damaged (" + msg + ")";
    }
    return e.getClass().getSimpleName() + ": " + msg;
  }

  private HoldfastException unreachable(Throwable e) {
    String why = reason(e);
    String hint =
        why.startsWith("connection refused") || why.startsWith("timed out")
            ? "check that an SSH server runs on " + endpoint.host() + " and listens on port " + endpoint.port()
                + " (try: ssh -p " + endpoint.port() + " " + endpoint.user() + "@" + endpoint.host() + ")"
            : null;
    return new HoldfastException(
        ExitCode.UNREACHABLE, "cannot connect to SFTP server " + endpoint.address() + ": " + why, hint, e);
  }

  private String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return "connection refused";
      }
      if (t instanceof NoRouteToHostException) {
        return "no route to host";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host name '" + endpoint.host() + "'";
      }
      if (t instanceof SocketTimeoutException
          || String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("timeout")) {
        return "timed out after " + timeout.toSeconds() + " s";
      }
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private static boolean hasDisconnectCode(Throwable e, int code) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SshException se && se.getDisconnectCode() == code) {
        return true;
      }
    }
    return false;
  }

  private HoldfastException authenticationFailed(LoadedKeys keys) {
    String firstKey = endpoint.identityFiles().isEmpty() ? "KEY" : endpoint.identityFiles().get(0).toString();
    return new HoldfastException(
        ExitCode.UNREACHABLE,
        "authentication failed for "
            + endpoint.address()
            + ": the server accepted none of the keys tried: "
            + String.join(", ", keys.tried()),
        "authorize the key on the server (ssh-copy-id -i "
            + firstKey
            + ".pub -p "
            + endpoint.port()
            + " "
            + endpoint.user()
            + "@"
            + endpoint.host()
            + "), or set identity_file to a key the server accepts",
        null);
  }

  private HoldfastException hostKeyRefused(HostKeyProblem p) {
    String where = endpoint.hostAndPort();
    String offered = KeyUtils.getKeyType(p.offered()) + " key " + KeyUtils.getFingerPrint(p.offered());
    String knownHosts = endpoint.knownHostsFile().toString();
    String hostPattern = endpoint.port() == SftpTarget.DEFAULT_PORT ? endpoint.host() : "[" + endpoint.host() + "]:" + endpoint.port();
    return switch (p.kind()) {
      case UNKNOWN ->
          new HoldfastException(
              ExitCode.UNREACHABLE,
              "refusing SFTP server "
                  + where
                  + ": its host key is not known; it offered "
                  + offered
                  + ", which "
                  + knownHosts
                  + " does not list",
              "if that fingerprint is your server's (on the server: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub),"
                  + " add it with: ssh-keyscan -p "
                  + endpoint.port()
                  + " "
                  + endpoint.host()
                  + " >> "
                  + knownHosts
                  + ", or set host_key_policy: accept-new to trust it on first connection",
              null);
      case CHANGED ->
          new HoldfastException(
              ExitCode.UNREACHABLE,
              "WARNING: THE HOST KEY OF SFTP SERVER "
                  + where
                  + " HAS CHANGED; refusing to connect. "
                  + knownHosts
                  + " lists "
                  + KeyUtils.getKeyType(p.expected())
                  + " key "
                  + KeyUtils.getFingerPrint(p.expected())
                  + ", but the server offered "
                  + offered
                  + ". Someone may be intercepting the connection (man-in-the-middle attack), or the server"
                  + " was reinstalled",
              "only if you know the server's key changed: remove the old entry with ssh-keygen -R '"
                  + hostPattern
                  + "' -f "
                  + knownHosts
                  + ", check the new fingerprint on the server, then add it (ssh-keyscan -p "
                  + endpoint.port()
                  + " "
                  + endpoint.host()
                  + " >> "
                  + knownHosts
                  + ")",
              null);
      case REVOKED ->
          new HoldfastException(
              ExitCode.UNREACHABLE,
              "refusing SFTP server " + where + ": its host key " + offered + " is marked @revoked in " + knownHosts,
              null,
              null);
      case UNREADABLE ->
          new HoldfastException(
              ExitCode.UNREACHABLE,
              "refusing SFTP server " + where + ": its host key (" + offered + ") cannot be checked, " + knownHosts
                  + " could not be read: " + p.reason(),
              "fix or remove that file (ssh-keyscan -p " + endpoint.port() + " " + endpoint.host() + " lists the"
                  + " server's keys), or point sftp.known-hosts-file at another",
              null);
    };
  }
}
