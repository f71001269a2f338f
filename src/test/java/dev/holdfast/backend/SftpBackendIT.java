package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.holdfast.backend.SftpOptions.HostKeyPolicy;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SftpBackend} against a real OpenSSH sshd ({@link SshdServer}): the backend contract, a
 * large streamed upload, host key checking, authentication failures and a server killed mid-upload.
 */
class SftpBackendIT extends BackendContract {
  @TempDir static Path tmp;
  private static SshdServer server;
  private static Path knownHosts;
  private static Path home;
  private static final AtomicInteger counter = new AtomicInteger();
  private Path base;

  @BeforeAll
  static void startServer() throws Exception {
    server = SshdServer.start(tmp.resolve("sshd"));
    knownHosts = Files.writeString(tmp.resolve("known_hosts"), server.knownHostsLine() + "\n");
    home = Files.createDirectories(tmp.resolve("home")); // no ~/.ssh/config, keys or known_hosts
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /** Options that trust the test server and log in with its authorized key. */
  private static SftpOptions options() {
    return SftpOptions.defaults()
        .withIdentityFile(server.userKey(), null)
        .withKnownHostsFile(knownHosts)
        .withConnectTimeout(Duration.ofSeconds(10));
  }

  private static SftpTarget target(Path dir) {
    return new SftpTarget(server.user(), server.host(), server.port(), dir.toString());
  }

  private static SftpBackend backendOn(Path dir, SftpOptions options) {
    return new SftpBackend(target(dir), options, home);
  }

  @Override
  protected Backend newBackend() throws IOException {
    base = Files.createDirectories(tmp.resolve("store-" + counter.incrementAndGet()));
    return backendOn(base, options());
  }

  private static List<String> keys(Backend b) throws IOException {
    try (Stream<ObjectInfo> s = b.list("")) {
      return s.map(ObjectInfo::key).sorted().toList();
    }
  }

  private static List<Path> filesUnder(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  private static HoldfastException unreachable(ThrowingCallable call) {
    var caught = new HoldfastException[1];
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            HoldfastException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(ExitCode.UNREACHABLE);
              assertThat(e.exitCode().code()).isEqualTo(13);
              caught[0] = e;
            });
    return caught[0];
  }

  // --- what only SFTP adds to the contract ---

  @Test
  void locationNamesUserHostPortAndPathOnly() {
    assertThat(backend().location())
        .isEqualTo("sftp://" + server.user() + "@127.0.0.1:" + server.port() + base);
  }

  @Test
  void uploadsLeaveNoPartialFilesAndDeletesRemoveEmptiedDirectories() throws IOException {
    backend().put("daily/2026/01/a", "a".getBytes(StandardCharsets.UTF_8));
    backend().put("daily/2026/02/b", "b".getBytes(StandardCharsets.UTF_8));
    try (ObjectWriter w = backend().create("daily/2026/02/aborted")) {
      w.write(new byte[300_000]);
    }
    try (ObjectWriter w = backend().create("daily/2026/02/b")) {
      w.write(new byte[1000]);
      assertThatThrownBy(w::commit).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    }
    assertThat(filesUnder(base))
        .containsExactlyInAnyOrder(base.resolve("daily/2026/01/a"), base.resolve("daily/2026/02/b"));
    backend().delete("daily/2026/01/a");
    assertThat(base.resolve("daily/2026/01")).doesNotExist();
    assertThat(base.resolve("daily/2026/02")).isDirectory();
    backend().delete("daily/2026/02/b");
    assertThat(base.resolve("daily")).doesNotExist();
    assertThat(base).isDirectory();
  }

  @Test
  void leftoversOfKilledUploadsAreDeletedButNotUploadsUnderWay() throws IOException {
    backend().put("data/ab/abcd", "pack".getBytes(StandardCharsets.UTF_8));
    Path leftover = Files.writeString(base.resolve("data/ab/abcd." + "0123456789abcdef" + ".partial"), "killed upload");
    Path deeper = Files.createDirectories(base.resolve("data/cd"));
    Path leftover2 = Files.writeString(deeper.resolve("cdef." + "fedcba9876543210" + ".partial"), "another");
    Path notOurs = Files.writeString(base.resolve("data/ab/notes.partial"), "not a temporary name of ours");
    Path outside = Files.writeString(base.resolve("index.0123456789abcdef.partial"), "not under the prefix");
    try (ObjectWriter underWay = backend().create("data/ef/efgh")) {
      underWay.write(new byte[1000]);
      assertThat(backend().deleteLeftovers("data")).isEqualTo(2);
      assertThat(leftover).doesNotExist();
      assertThat(leftover2).doesNotExist();
      assertThat(notOurs).exists();
      assertThat(outside).exists();
      assertThat(filesUnder(base.resolve("data/ef"))).as("the upload under way keeps its temporary file").hasSize(1);
      underWay.commit();
    }
    assertThat(keys(backend())).contains("data/ab/abcd", "data/ef/efgh");
    assertThat(backend().deleteLeftovers("missing")).isZero();
  }

  @Test
  void freeSpaceComesFromStatvfsEvenBeforeTheBaseExists() throws IOException {
    long local = Files.getFileStore(base).getUsableSpace();
    assertThat(backend().freeSpace()).isPresent();
    assertThat(backend().freeSpace().getAsLong()).isBetween(local / 2, local * 2);
    try (var b = backendOn(base.resolve("not/yet/made"), options())) {
      assertThat(b.freeSpace()).isPresent();
    }
  }

  @Test
  void listingAMissingBaseThrowsNoSuchFile() {
    try (var b = backendOn(tmp.resolve("no-such-dir"), options())) {
      assertThatThrownBy(() -> b.list("")).isInstanceOf(java.nio.file.NoSuchFileException.class);
    }
  }

  @Test
  void aHundredMegabyteStreamRoundTrips() throws Exception {
    int chunk = 1 << 20;
    long size = 100L * chunk + 12_345; // 104,869,945 bytes
    long seed = 20260102;
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    Instant start = Instant.now();
    try (ObjectWriter w = backend().create("big/archive.tar.gz")) {
      for (long pos = 0; pos < size; pos += chunk) {
        byte[] b = chunkAt(seed, pos / chunk, chunk);
        int n = (int) Math.min(chunk, size - pos);
        w.write(b, 0, n);
        written.update(b, 0, n);
      }
      w.commit();
    }
    Duration upload = Duration.between(start, Instant.now());
    assertThat(backend().stat("big/archive.tar.gz")).get().extracting(ObjectInfo::size).isEqualTo(size);

    MessageDigest read = MessageDigest.getInstance("SHA-256");
    start = Instant.now();
    long total = 0;
    try (InputStream in = backend().open("big/archive.tar.gz")) {
      byte[] buf = new byte[256 * 1024];
      for (int n; (n = in.read(buf)) > 0; total += n) {
        read.update(buf, 0, n);
      }
    }
    Duration download = Duration.between(start, Instant.now());
    assertThat(total).isEqualTo(size);
    String sha = HexFormat.of().formatHex(written.digest());
    assertThat(HexFormat.of().formatHex(read.digest())).isEqualTo(sha);
    // And what the server wrote to its disk, hashed without SFTP.
    MessageDigest onDisk = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(base.resolve("big/archive.tar.gz"))) {
      in.transferTo(new java.security.DigestOutputStream(OutputStreamNull.INSTANCE, onDisk));
    }
    assertThat(HexFormat.of().formatHex(onDisk.digest())).isEqualTo(sha);

    // A ranged read deep inside the object, straddling two generated chunks.
    long offset = 50L * chunk - 1000;
    try (InputStream in = backend().open("big/archive.tar.gz", offset, 5000)) {
      byte[] expected = new byte[5000];
      System.arraycopy(chunkAt(seed, 49, chunk), chunk - 1000, expected, 0, 1000);
      System.arraycopy(chunkAt(seed, 50, chunk), 0, expected, 1000, 4000);
      assertThat(in.readAllBytes()).isEqualTo(expected);
    }
    System.out.printf(
        "100 MB over SFTP: upload %d ms, download %d ms%n", upload.toMillis(), download.toMillis());
  }

  private static byte[] chunkAt(long seed, long index, int chunk) {
    byte[] b = new byte[chunk];
    new SplittableRandom(seed * 1_000_003 + index).nextBytes(b);
    return b;
  }

  /** Discards bytes (the digest stream does the work). */
  private static final class OutputStreamNull extends java.io.OutputStream {
    static final OutputStreamNull INSTANCE = new OutputStreamNull();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }

  // --- host keys ---

  @Test
  void anUnknownHostKeyIsRefusedWithItsFingerprintAndAHint() throws Exception {
    Path empty = Files.writeString(tmp.resolve("known_hosts_empty"), "");
    String fingerprint = SshdServer.fingerprint(server.hostPublicKey());
    try (var b = backendOn(tmp, options().withKnownHostsFile(empty))) {
      var e = unreachable(() -> b.list(""));
      assertThat(e.getMessage())
          .contains("127.0.0.1:" + server.port())
          .contains("not known")
          .contains(fingerprint)
          .contains(empty.toString());
      assertThat(e.hint())
          .contains("ssh-keyscan -p " + server.port() + " 127.0.0.1 >> " + empty)
          .contains("host_key_policy: accept-new");
      assertThat(RetryPolicy.transientFailure(e)).as("retrying cannot help").isFalse();
    }
    assertThat(Files.readString(empty)).as("strict never writes known_hosts").isEmpty();
  }

  @Test
  void acceptNewAddsTheHostToKnownHostsAndStrictTrustsItAfterwards() throws Exception {
    Path file = tmp.resolve("accept-new-" + counter.incrementAndGet()).resolve(".ssh/known_hosts");
    try (var b = backendOn(base, options().withKnownHostsFile(file).withHostKeyPolicy(HostKeyPolicy.ACCEPT_NEW))) {
      b.put("tofu", new byte[] {1});
    }
    assertThat(file).exists();
    String hostKey = Files.readString(server.hostPublicKey()).strip().split("\\s+")[1];
    assertThat(Files.readString(file)).contains("[127.0.0.1]:" + server.port()).contains(hostKey);
    // OpenSSH's own tools find the entry.
    assertThat(SshdServer.run("ssh-keygen", "-F", "[127.0.0.1]:" + server.port(), "-f", file.toString()))
        .contains(hostKey);
    try (var b = backendOn(base, options().withKnownHostsFile(file))) {
      assertThat(b.readAll("tofu")).containsExactly(1);
    }
  }

  @Test
  void aChangedHostKeyIsRefusedLoudlyEvenWithAcceptNew() throws Exception {
    Path impostor = SshdServer.generateKey(tmp.resolve("impostor-" + counter.incrementAndGet()), "");
    String impostorPub = Files.readString(impostor.resolveSibling(impostor.getFileName() + ".pub"));
    String[] parts = impostorPub.strip().split("\\s+");
    Path file =
        Files.writeString(
            tmp.resolve("known_hosts_changed"),
            "[127.0.0.1]:" + server.port() + " " + parts[0] + " " + parts[1] + "\n");
    String recorded = SshdServer.fingerprint(impostor.resolveSibling(impostor.getFileName() + ".pub"));
    String offered = SshdServer.fingerprint(server.hostPublicKey());
    for (HostKeyPolicy policy : HostKeyPolicy.values()) {
      try (var b = backendOn(base, options().withKnownHostsFile(file).withHostKeyPolicy(policy))) {
        var e = unreachable(() -> b.stat("x"));
        assertThat(e.getMessage())
            .as(policy.configName())
            .contains("HAS CHANGED")
            .contains("127.0.0.1:" + server.port())
            .contains(recorded)
            .contains(offered)
            .contains("man-in-the-middle");
        assertThat(e.hint()).contains("ssh-keygen -R '[127.0.0.1]:" + server.port() + "'");
        assertThat(RetryPolicy.transientFailure(e)).isFalse();
      }
    }
    assertThat(Files.readString(file)).doesNotContain(Files.readString(server.hostPublicKey()).split("\\s+")[1]);
  }

  // --- authentication and connection failures ---

  @Test
  void aKeyTheServerDoesNotAcceptFailsWithUserHostAndKeyFile() throws Exception {
    Path wrong = SshdServer.generateKey(tmp.resolve("unauthorized-" + counter.incrementAndGet()), "");
    try (var b = backendOn(base, options().withIdentityFile(wrong, null))) {
      var e = unreachable(() -> b.list(""));
      assertThat(e.getMessage())
          .contains("authentication failed")
          .contains(server.user() + "@127.0.0.1:" + server.port())
          .contains(wrong.toString())
          .doesNotContain("PRIVATE KEY")
          .doesNotContain(Files.readString(wrong).lines().skip(1).findFirst().orElseThrow());
      assertThat(e.hint()).contains("ssh-copy-id");
      assertThat(RetryPolicy.transientFailure(e)).isFalse();
    }
  }

  @Test
  void anEncryptedKeyNeedsItsPassphrase() throws Exception {
    Path key = SshdServer.generateKey(tmp.resolve("encrypted-" + counter.incrementAndGet()), "correct horse");
    server.authorize(key.resolveSibling(key.getFileName() + ".pub"));
    try (var b = backendOn(base, options().withIdentityFile(key, "correct horse".toCharArray()))) {
      b.put("with-passphrase", new byte[] {7});
    }
    try (var b = backendOn(base, options().withIdentityFile(key, "Tr0ub4dor".toCharArray()))) {
      var e = unreachable(() -> b.list(""));
      assertThat(e.getMessage()).contains(key.toString()).contains("passphrase").doesNotContain("Tr0ub4dor");
    }
    try (var b = backendOn(base, options().withIdentityFile(key, null))) {
      var e = unreachable(() -> b.list(""));
      assertThat(e.getMessage()).contains(key.toString()).contains("encrypted and no passphrase");
    }
  }

  @Test
  void aRefusedConnectionSaysSo() throws Exception {
    int closedPort;
    try (var s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closedPort = s.getLocalPort();
    }
    var target = new SftpTarget(server.user(), "127.0.0.1", closedPort, "/srv");
    try (var b = new SftpBackend(target, options(), home)) {
      var e = unreachable(() -> b.list(""));
      assertThat(e.getMessage()).contains("127.0.0.1:" + closedPort).contains("connection refused");
      assertThat(e.hint()).contains("port " + closedPort);
      assertThat(RetryPolicy.transientFailure(e)).as("the server may come back").isTrue();
    }
  }

  @Test
  void aServerThatNeverAnswersTimesOut() throws Exception {
    // The kernel completes the TCP handshake from the backlog; nothing ever sends an SSH banner.
    try (var silent = new ServerSocket()) {
      silent.bind(new InetSocketAddress("127.0.0.1", 0));
      var target = new SftpTarget(server.user(), "127.0.0.1", silent.getLocalPort(), "/srv");
      var options = options().withConnectTimeout(Duration.ofSeconds(2));
      try (var b = new SftpBackend(target, options, home)) {
        Instant start = Instant.now();
        var e = unreachable(() -> b.list(""));
        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(20));
        assertThat(e.getMessage()).contains("127.0.0.1:" + silent.getLocalPort()).contains("timed out after 2 s");
        assertThat(RetryPolicy.transientFailure(e)).isTrue();
      }
    }
  }

  // --- ~/.ssh defaults and aliases ---

  @Test
  void aHostAliasFromSshConfigConnects() throws Exception {
    Path config =
        Files.writeString(
            tmp.resolve("ssh_config_" + counter.incrementAndGet()),
            """
            Host nas-alias
              HostName 127.0.0.1
              Port %d
              User %s
              IdentityFile %s
              UserKnownHostsFile %s
            """
                .formatted(server.port(), server.user(), server.userKey(), knownHosts));
    var options = SftpOptions.defaults().withSshConfigFile(config);
    try (var b = new SftpBackend(SftpTarget.parse("sftp:nas-alias:" + base), options, home)) {
      b.put("via-alias", new byte[] {42});
      assertThat(b.readAll("via-alias")).containsExactly(42);
      assertThat(b.location()).isEqualTo("sftp://" + server.user() + "@nas-alias:" + server.port() + base);
    }
  }

  @Test
  void theDefaultKeyAndKnownHostsInHomeAreUsed() throws Exception {
    Path fakeHome = Files.createDirectories(tmp.resolve("home-" + counter.incrementAndGet()).resolve(".ssh"))
        .getParent();
    Files.copy(server.userKey(), fakeHome.resolve(".ssh/id_ecdsa")); // any name of the defaults
    Files.copy(knownHosts, fakeHome.resolve(".ssh/known_hosts"));
    try (var b = new SftpBackend(target(base), SftpOptions.defaults(), fakeHome)) {
      b.put("defaults", new byte[] {9});
      assertThat(keys(b)).contains("defaults");
    }
  }

  // --- the connection dies ---

  @Test
  void aServerKilledMidUploadLeavesNoObjectAndKeepsCommittedOnes() throws Exception {
    backend().put("keep/a", "alpha".getBytes(StandardCharsets.UTF_8));
    backend().put("keep/b", "beta".getBytes(StandardCharsets.UTF_8));
    ObjectWriter w = backend().create("cut/archive.tar.gz");
    byte[] chunk = seeded(99, 1 << 20);
    for (int i = 0; i < 20; i++) {
      w.write(chunk);
    }
    server.kill(); // SIGKILL sshd and the SFTP session process, mid-write
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          assertThatThrownBy(
                  () -> {
                    for (int i = 0; i < 1000; i++) {
                      w.write(chunk);
                    }
                    w.commit();
                  })
              .isInstanceOf(IOException.class);
          assertDoesNotThrow(w::close);
        });
    server.restart();

    assertThat(filesUnder(base)).as("the interrupted upload's .partial file is on the server's disk")
        .anySatisfy(p -> assertThat(p.getFileName().toString()).endsWith(".partial"));
    try (var fresh = backendOn(base, options())) {
      assertThat(keys(fresh)).containsExactly("keep/a", "keep/b");
      assertThat(fresh.stat("cut/archive.tar.gz")).isEmpty();
      assertThat(fresh.readAll("keep/a")).isEqualTo("alpha".getBytes(StandardCharsets.UTF_8));
      assertThat(fresh.readAll("keep/b")).isEqualTo("beta".getBytes(StandardCharsets.UTF_8));
    }
    // The backend whose connection died connects again on its next use.
    assertThat(keys(backend())).containsExactly("keep/a", "keep/b");
  }

  @Test
  void aDroppedSessionIsReopenedOnTheNextCall() throws Exception {
    backend().put("before", new byte[] {1});
    assertThat(server.sessionProcesses()).isNotEmpty();
    server.killSessions();
    // The drop is noticed asynchronously; once it is, the next call reconnects (no retry here).
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    IOException last = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        assertThat(backend().readAll("before")).containsExactly(1);
        last = null;
        break;
      } catch (IOException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    assertThat(last).as("still failing after 10 s").isNull();
    backend().put("after", new byte[] {2});
    assertThat(keys(backend())).containsExactly("after", "before");
  }
}
