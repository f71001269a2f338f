package dev.holdfast.backend;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH sshd for integration tests: listens on 127.0.0.1 on a free port, with a throwaway
 * ed25519 host key and an authorized ed25519 user key, all in a temporary directory; logs in the
 * current user by key only and serves SFTP with internal-sftp.
 *
 * <p>Needs the openssh-server package ({@code /usr/sbin/sshd}, {@code ssh-keygen}) and, as sshd
 * insists on it, the privilege separation directory {@code /run/sshd}, created here if missing.
 */
final class SshdServer implements AutoCloseable {
  static final Path SSHD = Path.of("/usr/sbin/sshd");
  static final String HOST = "127.0.0.1";

  private final Path dir;
  private final int port;
  private final Path config;
  private final Path log;
  private final Path hostKey;
  private final Path userKey;
  private final Path authorizedKeys;
  private Process process;

  private SshdServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
    this.config = dir.resolve("sshd_config");
    this.log = dir.resolve("sshd.log");
    this.hostKey = dir.resolve("ssh_host_ed25519_key");
    this.userKey = dir.resolve("id_ed25519");
    this.authorizedKeys = dir.resolve("authorized_keys");
  }

  /** Generates keys and a configuration in {@code dir} and starts sshd; returns once it answers. */
  static SshdServer start(Path dir) throws IOException, InterruptedException {
    if (!Files.isExecutable(SSHD)) {
      throw new IllegalStateException(
          "OpenSSH server not installed: " + SSHD + " is missing; run: apt-get install -y openssh-server");
    }
    Path privsep = Path.of("/run/sshd");
    if (!Files.isDirectory(privsep)) {
      try {
        Files.createDirectories(privsep, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      } catch (IOException e) {
        throw new IllegalStateException(
            "sshd needs its privilege separation directory /run/sshd; create it as root: mkdir -p -m 755 /run/sshd", e);
      }
    }
    Files.createDirectories(dir);
    var server = new SshdServer(dir, freePort());
    generateKey(server.hostKey, "");
    generateKey(server.userKey, "");
    Files.copy(server.userKey.resolveSibling(server.userKey.getFileName() + ".pub"), server.authorizedKeys);
    server.writeConfig();
    server.launch();
    return server;
  }

  /** Runs {@code ssh-keygen -t ed25519} to make {@code file} and {@code file.pub}. */
  static Path generateKey(Path file, String passphrase) throws IOException, InterruptedException {
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "holdfast-test", "-f", file.toString());
    return file;
  }

  /** The SHA256:... fingerprint of a public key file, as ssh-keygen -l prints it. */
  static String fingerprint(Path publicKey) throws IOException, InterruptedException {
    String out = run("ssh-keygen", "-l", "-E", "sha256", "-f", publicKey.toString());
    return out.strip().split("\\s+")[1];
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(HOST, 0));
      return socket.getLocalPort();
    }
  }

  private void writeConfig() throws IOException {
    String text =
        String.join(
            "\n",
            "ListenAddress " + HOST,
            "Port " + port,
            "HostKey " + hostKey,
            "PidFile " + dir.resolve("sshd.pid"),
            "AuthorizedKeysFile " + authorizedKeys,
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "AllowTcpForwarding no",
            "X11Forwarding no",
            "PrintMotd no",
            "LogLevel VERBOSE",
            "Subsystem sftp internal-sftp",
            "");
    Files.writeString(config, text);
  }

  private void launch() throws IOException, InterruptedException {
    Files.writeString(log, "--- starting sshd " + Instant.now() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    // sshd re-executes itself for each connection, so it must be started by its absolute path.
    process =
        new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("sshd exited with " + process.exitValue() + ":\n" + log());
      }
      if (answers()) {
        return;
      }
      Thread.sleep(50);
    }
    process.destroyForcibly();
    throw new IllegalStateException("sshd did not answer on " + HOST + ":" + port + " within 15 s:\n" + log());
  }

  private boolean answers() {
    try (var socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), 1000);
      socket.setSoTimeout(2000);
      var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String banner = in.readLine();
      return banner != null && banner.startsWith("SSH-");
    } catch (IOException e) {
      return false;
    }
  }

  String host() {
    return HOST;
  }

  int port() {
    return port;
  }

  /** The login: sshd runs as the current user, who may only log in as itself. */
  String user() {
    return System.getProperty("user.name");
  }

  /** The authorized private key (no passphrase). */
  Path userKey() {
    return userKey;
  }

  Path hostPublicKey() {
    return hostKey.resolveSibling(hostKey.getFileName() + ".pub");
  }

  /** The host key line as {@code ssh-keyscan -p PORT 127.0.0.1} would print it. */
  String knownHostsLine() throws IOException {
    String[] pub = Files.readString(hostPublicKey()).strip().split("\\s+");
    return "[" + HOST + "]:" + port + " " + pub[0] + " " + pub[1];
  }

  /** Adds a public key to the authorized_keys file; sshd reads it at each login. */
  void authorize(Path publicKey) throws IOException {
    Files.writeString(authorizedKeys, Files.readString(publicKey), StandardOpenOption.APPEND);
  }

  /** What sshd logged so far, for failure messages. */
  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The processes sshd forked for connections (each runs the SFTP session of one client). */
  List<ProcessHandle> sessionProcesses() {
    return process == null ? List.of() : process.descendants().toList();
  }

  /** SIGKILLs the processes serving connections; the listener stays up. */
  void killSessions() throws InterruptedException {
    killAll(sessionProcesses());
  }

  /** SIGKILLs sshd and every connection it serves, like a crash or a power cut of the server. */
  void kill() throws InterruptedException {
    if (process == null) {
      return;
    }
    List<ProcessHandle> all = new ArrayList<>(sessionProcesses());
    all.add(process.toHandle());
    killAll(all);
    process = null;
  }

  private static void killAll(List<ProcessHandle> processes) throws InterruptedException {
    processes.forEach(ProcessHandle::destroyForcibly); // SIGKILL
    for (ProcessHandle p : processes) {
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("process " + p.pid() + " did not die", e);
      }
    }
  }

  /** Starts sshd again on the same port with the same keys, after {@link #kill()}. */
  void restart() throws IOException, InterruptedException {
    kill();
    launch();
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
