package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.function.ThrowingConsumer;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** {@link S3Backend} against a real S3 server (s3proxy) with real authentication. */
class S3BackendIT {
  private static final String BUCKET = "holdfast-it";
  private static final int MIB = S3Target.MIB;

  @TempDir static Path blobs;
  @TempDir Path scratch;
  private static S3ProxyServer server;
  private static S3Client raw;

  private String prefix;
  private S3Target target;
  private S3Backend backend;

  @BeforeAll
  static void startServer() throws Exception {
    server = new S3ProxyServer(blobs);
    server.start();
    raw = server.client();
    raw.createBucket(b -> b.bucket(BUCKET));
  }

  @AfterAll
  static void stopServer() throws Exception {
    raw.close();
    server.stop();
  }

  @BeforeEach
  void openBackend(TestInfo test) {
    prefix = "it/" + test.getTestMethod().orElseThrow().getName();
    target = server.target(BUCKET, prefix);
    backend = new S3Backend(target);
  }

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  private List<MultipartUpload> pendingUploads() {
    return raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads();
  }

  private static List<String> keys(Backend backend, String prefix) throws IOException {
    try (Stream<ObjectInfo> s = backend.list(prefix)) {
      return s.map(ObjectInfo::key).sorted().toList();
    }
  }

  private static byte[] read(Backend backend, String key, long offset, long length)
      throws IOException {
    try (InputStream in = backend.open(key, offset, length)) {
      return in.readAllBytes();
    }
  }

  /** A backend whose SDK client runs {@code interceptor} on every request. */
  private static S3Backend intercepted(S3Target target, ExecutionInterceptor interceptor) {
    S3Client client =
        S3Backend.clientBuilder(target)
            .overrideConfiguration(o -> o.addExecutionInterceptor(interceptor))
            .build();
    return new S3Backend(target, client, 1000);
  }

  // --- the Backend contract -------------------------------------------------------------------

  @Test
  void committedObjectsAreListedStatedAndRead() throws IOException {
    byte[] a = SeededBytes.of(1, 1000);
    Instant before = Instant.now().minusSeconds(5);
    backend.put("daily/a.tar.gz", a);
    backend.put("daily/b", new byte[0]);
    backend.put("weekly/c", SeededBytes.of(2, 10));

    ObjectInfo info = backend.stat("daily/a.tar.gz").orElseThrow();
    assertThat(info.key()).isEqualTo("daily/a.tar.gz");
    assertThat(info.size()).isEqualTo(1000);
    assertThat(info.modified()).isAfter(before).isBefore(Instant.now().plusSeconds(5));
    assertThat(backend.readAll("daily/a.tar.gz")).isEqualTo(a);
    assertThat(backend.readAll("daily/b")).isEmpty();

    assertThat(keys(backend, "")).containsExactly("daily/a.tar.gz", "daily/b", "weekly/c");
    assertThat(keys(backend, "daily/")).containsExactly("daily/a.tar.gz", "daily/b");
    assertThat(keys(backend, "daily/a")).containsExactly("daily/a.tar.gz");
    assertThat(keys(backend, "monthly/")).isEmpty();
    try (Stream<ObjectInfo> s = backend.list("weekly/")) {
      assertThat(s.toList()).singleElement().satisfies(i -> assertThat(i.size()).isEqualTo(10));
    }
    // Stored under the target's prefix.
    assertThat(raw.headObject(b -> b.bucket(BUCKET).key(prefix + "/daily/a.tar.gz")).contentLength())
        .isEqualTo(1000);
  }

  @Test
  void rangedReads() throws IOException {
    byte[] data = SeededBytes.of(3, 3000);
    backend.put("obj", data);
    assertThat(read(backend, "obj", 0, -1)).isEqualTo(data);
    assertThat(read(backend, "obj", 100, 50)).isEqualTo(Arrays.copyOfRange(data, 100, 150));
    assertThat(read(backend, "obj", 500, -1)).isEqualTo(Arrays.copyOfRange(data, 500, 3000));
    assertThat(read(backend, "obj", 2990, 100)).isEqualTo(Arrays.copyOfRange(data, 2990, 3000));
    assertThat(read(backend, "obj", 0, Long.MAX_VALUE)).isEqualTo(data);
    assertThat(read(backend, "obj", 3000, 10)).isEmpty();
    assertThat(read(backend, "obj", 5000, -1)).isEmpty();
    assertThat(read(backend, "obj", 10, 0)).isEmpty();
  }

  @Test
  void missingObjectsAreNoSuchFile() throws IOException {
    backend.put("present", new byte[] {1});
    assertThat(backend.stat("absent")).isEmpty();
    assertThatThrownBy(() -> backend.open("absent")).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> backend.open("absent", 5, 10)).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> backend.open("absent", 0, 0)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void smallObjectIsInvisibleUntilCommit() throws IOException {
    byte[] data = SeededBytes.of(4, 100);
    try (ObjectWriter w = backend.create("small")) {
      w.write(data);
      assertThat(backend.stat("small")).isEmpty();
      assertThat(keys(backend, "")).isEmpty();
      w.commit();
    }
    assertThat(backend.readAll("small")).isEqualTo(data);
    assertThat(pendingUploads()).isEmpty();
  }

  @Test
  void multipartObjectIsInvisibleUntilCommitAndRoundTrips() throws IOException {
    byte[] data = SeededBytes.of(5, 12 * MIB + 7);
    try (ObjectWriter w = backend.create("big")) {
      w.write(data, 0, 6 * MIB); // the first 5 MiB part went up
      w.write(data, 6 * MIB, data.length - 6 * MIB); // and the second
      assertThat(pendingUploads()).hasSize(1);
      assertThat(backend.stat("big")).isEmpty();
      assertThat(keys(backend, "")).isEmpty();
      w.commit();
    }
    assertThat(pendingUploads()).isEmpty();
    assertThat(backend.stat("big").orElseThrow().size()).isEqualTo(data.length);
    assertThat(backend.readAll("big")).isEqualTo(data);
    int boundary = 5 * MIB;
    assertThat(read(backend, "big", boundary - 10, 20))
        .isEqualTo(Arrays.copyOfRange(data, boundary - 10, boundary + 10));
  }

  @Test
  void singleByteWritesCrossPartBoundaries() throws IOException {
    byte[] data = SeededBytes.of(27, 5 * MIB + 100);
    try (ObjectWriter w = backend.create("bytewise")) {
      for (byte b : data) {
        w.write(b);
      }
      assertThat(pendingUploads()).hasSize(1);
      w.commit();
    }
    assertThat(backend.readAll("bytewise")).isEqualTo(data);
  }

  @Test
  void objectOfExactlyOnePartIsOnePut() throws IOException {
    byte[] data = SeededBytes.of(6, 5 * MIB);
    AtomicBoolean multipart = new AtomicBoolean();
    try (S3Backend b =
        intercepted(
            target,
            new ExecutionInterceptor() {
              @Override
              public void beforeExecution(Context.BeforeExecution c, ExecutionAttributes a) {
                if (c.request().getClass().getSimpleName().contains("Multipart")) {
                  multipart.set(true);
                }
              }
            })) {
      b.put("exact", data);
      assertThat(b.readAll("exact")).isEqualTo(data);
    }
    assertThat(multipart).isFalse();
  }

  @Test
  void closeWithoutCommitLeavesNothing() throws IOException {
    try (ObjectWriter w = backend.create("small")) {
      w.write(SeededBytes.of(7, 1000));
    }
    ObjectWriter big = backend.create("big");
    big.write(SeededBytes.of(8, 11 * MIB));
    assertThat(pendingUploads()).hasSize(1);
    big.close();
    big.close(); // twice is harmless
    assertThatThrownBy(() -> big.write(1)).isInstanceOf(IOException.class);
    assertThatThrownBy(big::commit).isInstanceOf(IOException.class);

    assertThat(backend.stat("small")).isEmpty();
    assertThat(backend.stat("big")).isEmpty();
    assertThat(keys(backend, "")).isEmpty();
    assertThat(pendingUploads()).isEmpty();
  }

  @Test
  void commitRefusesAnExistingKey() throws IOException {
    byte[] original = SeededBytes.of(9, 100);
    backend.put("taken", original);

    try (ObjectWriter w = backend.create("taken")) {
      w.write(SeededBytes.of(10, 200));
      assertThatThrownBy(w::commit).isInstanceOf(FileAlreadyExistsException.class);
    }
    // A large upload is refused as soon as it would start a multipart upload.
    try (ObjectWriter w = backend.create("taken")) {
      assertThatThrownBy(() -> w.write(SeededBytes.of(11, 6 * MIB)))
          .isInstanceOf(FileAlreadyExistsException.class);
    }
    // And at commit when the key appeared while the parts went up.
    byte[] rival = SeededBytes.of(12, 300);
    try (ObjectWriter w = backend.create("late")) {
      w.write(SeededBytes.of(13, 6 * MIB));
      backend.put("late", rival);
      assertThatThrownBy(w::commit)
          .isInstanceOf(FileAlreadyExistsException.class)
          .hasMessageContaining("late");
    }
    assertThat(backend.readAll("taken")).isEqualTo(original);
    assertThat(backend.readAll("late")).isEqualTo(rival);
    assertThat(pendingUploads()).isEmpty();
  }

  /**
   * Regression (flaky under load): when the SDK retries a PutObject whose first attempt was stored
   * but whose answer was lost, If-None-Match refuses the retry with 412. The object is ours, byte
   * for byte, so the commit succeeds. Simulated by storing our exact bytes just before the request.
   */
  @Test
  void a412ForOurOwnBytesIsASuccessfulCommit() throws IOException {
    byte[] ours = SeededBytes.of(17, 100);
    ExecutionInterceptor firstAttemptLanded =
        new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution c, ExecutionAttributes a) {
            if (c.request() instanceof PutObjectRequest p) {
              raw.putObject(b -> b.bucket(BUCKET).key(p.key()), RequestBody.fromBytes(ours));
            }
          }
        };
    try (S3Backend retried = intercepted(target, firstAttemptLanded);
        ObjectWriter w = retried.create("retried")) {
      w.write(ours);
      w.commit();
    }
    assertThat(backend.readAll("retried")).isEqualTo(ours);
  }

  /** s3proxy honours If-None-Match: * on PutObject and CompleteMultipartUpload. */
  @Test
  void ifNoneMatchStopsAWriterThatRacedPastTheCheck() throws IOException {
    byte[] rival = SeededBytes.of(14, 50);
    // Another client stores the key just after our HeadObject found it missing.
    ExecutionInterceptor rivalWriter =
        new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution c, ExecutionAttributes a) {
            SdkRequest r = c.request();
            String key =
                r instanceof PutObjectRequest p
                    ? p.key()
                    : r instanceof CompleteMultipartUploadRequest m ? m.key() : null;
            if (key != null) {
              raw.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(rival));
            }
          }
        };
    try (S3Backend racing = intercepted(target, rivalWriter)) {
      try (ObjectWriter w = racing.create("single")) {
        w.write(SeededBytes.of(15, 100));
        assertThatThrownBy(w::commit).isInstanceOf(FileAlreadyExistsException.class);
      }
      try (ObjectWriter w = racing.create("multi")) {
        w.write(SeededBytes.of(16, 6 * MIB));
        assertThatThrownBy(w::commit).isInstanceOf(FileAlreadyExistsException.class);
      }
    }
    assertThat(backend.readAll("single")).isEqualTo(rival);
    assertThat(backend.readAll("multi")).isEqualTo(rival);
    assertThat(pendingUploads()).isEmpty();
  }

  @Test
  void deleteIsIdempotent() throws IOException {
    backend.put("doomed", new byte[] {1, 2, 3});
    backend.delete("doomed");
    assertThat(backend.stat("doomed")).isEmpty();
    backend.delete("doomed");
    backend.delete("never/was");
    assertThat(keys(backend, "")).isEmpty();
  }

  @Test
  void listingPagesAndSeesOnlyThisPrefix() throws IOException {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String key = "packs/%02d/%d".formatted(i % 4, i);
      backend.put(key, new byte[] {(byte) i});
      expected.add(key);
    }
    // Not ours: a console's folder marker, and a sibling prefix that shares our prefix's start.
    raw.putObject(b -> b.bucket(BUCKET).key(prefix + "/packs/"), RequestBody.empty());
    raw.putObject(b -> b.bucket(BUCKET).key(prefix + "-sibling/packs/x"), RequestBody.empty());

    try (S3Backend paged = new S3Backend(target, S3Backend.clientBuilder(target).build(), 7)) {
      assertThat(keys(paged, "")).containsExactlyInAnyOrderElementsOf(expected);
      assertThat(keys(paged, "packs/01/")).hasSize(8);
    }
  }

  @Test
  void uploadsAskTheServerToVerifyChecksums() throws IOException {
    for (S3Target.UploadChecksum mode : S3Target.UploadChecksum.values()) {
      Map<String, List<Map<String, List<String>>>> sent = new ConcurrentHashMap<>();
      ExecutionInterceptor recorder =
          new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission c, ExecutionAttributes a) {
              sent.computeIfAbsent(c.request().getClass().getSimpleName(), k -> new ArrayList<>())
                  .add(c.httpRequest().headers());
            }
          };
      S3Target t = target.withChecksum(mode);
      byte[] small = SeededBytes.of(17, 1000);
      byte[] big = SeededBytes.of(18, 11 * MIB);
      try (S3Backend b = intercepted(t, recorder)) {
        b.put(mode + "/small", small);
        b.put(mode + "/big", big);
        assertThat(b.readAll(mode + "/small")).isEqualTo(small);
        assertThat(b.readAll(mode + "/big")).isEqualTo(big);
      }
      List<Map<String, List<String>>> uploads = new ArrayList<>(sent.get("PutObjectRequest"));
      uploads.addAll(sent.get("UploadPartRequest"));
      // one PUT and three parts; the SDK may retry one under load, which resends it with the same
      // invocation id, so requests are counted by that id and every transmission is checked below
      assertThat(uploads.stream().map(h -> h.get("amz-sdk-invocation-id")).distinct()).hasSize(1 + 3);
      for (Map<String, List<String>> headers : uploads) {
        if (mode == S3Target.UploadChecksum.CRC32) {
          assertThat(headers).containsEntry("x-amz-trailer", List.of("x-amz-checksum-crc32"));
        } else {
          assertThat(headers).containsKey("Content-MD5");
          assertThat(headers.keySet()).noneMatch(h -> h.startsWith("x-amz-checksum"));
        }
      }
    }
  }

  @Test
  void serverRejectsABodyThatDoesNotMatchItsChecksum() {
    byte[] body = SeededBytes.of(19, 1000);
    String key = prefix + "/corrupt";
    assertBadDigest(
        () ->
            raw.putObject(
                b -> b.bucket(BUCKET).key(key).checksumCRC32("AAAAAA=="),
                RequestBody.fromBytes(body)));
    assertBadDigest(
        () ->
            raw.putObject(
                b -> b.bucket(BUCKET).key(key).contentMD5("1B2M2Y8AsgTpgAmY7PhCfg=="),
                RequestBody.fromBytes(body)));
    assertThat(raw.listObjectsV2(b -> b.bucket(BUCKET).prefix(key)).contents()).isEmpty();
  }

  private static void assertBadDigest(Runnable upload) {
    assertThatThrownBy(upload::run)
        .isInstanceOfSatisfying(
            S3Exception.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(400);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("BadDigest");
            });
  }

  @Test
  void storageClassIsRequested() throws IOException {
    // request class by SDK invocation id: a retry under load resends the request with the same id
    Map<String, String> requested = new ConcurrentHashMap<>();
    ExecutionInterceptor recorder =
        new ExecutionInterceptor() {
          @Override
          public void beforeTransmission(Context.BeforeTransmission c, ExecutionAttributes a) {
            c.httpRequest()
                .firstMatchingHeader("x-amz-storage-class")
                .ifPresent(
                    sc ->
                        requested.put(
                            c.httpRequest().firstMatchingHeader("amz-sdk-invocation-id").orElseThrow(),
                            c.request().getClass().getSimpleName() + " " + sc));
          }
        };
    try (S3Backend b = intercepted(target.withStorageClass("STANDARD_IA"), recorder)) {
      b.put("small", new byte[] {1});
      b.put("big", SeededBytes.of(20, 6 * MIB));
      assertThat(b.stat("big")).isPresent();
    }
    assertThat(requested.values())
        .containsExactlyInAnyOrder(
            "PutObjectRequest STANDARD_IA", "CreateMultipartUploadRequest STANDARD_IA");
  }

  @Test
  void locationNamesTheTargetButNoSecret() {
    assertThat(backend.location())
        .isEqualTo("s3://" + BUCKET + "/" + prefix + " at " + server.endpoint());
    assertThat(backend.location())
        .doesNotContain(S3ProxyServer.SECRET_KEY)
        .doesNotContain(S3ProxyServer.ACCESS_KEY);
  }

  // --- large objects --------------------------------------------------------------------------

  /**
   * 120 MiB through a JVM with a 64 MiB heap: only bounded buffering can do that. The probe
   * uploads with 8 MiB parts (15 parts) and reads the object back.
   */
  @Test
  void largeObjectStreamsThroughMultipartInASmallHeap() throws Exception {
    long size = 120L * MIB + 12_345;
    long seed = 20_260_102L;
    Path out = scratch.resolve("probe.out");
    Path err = scratch.resolve("probe.err");
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m",
            "-cp",
            System.getProperty("java.class.path"),
            S3StreamingProbe.class.getName(),
            server.endpoint().toString(),
            BUCKET,
            prefix,
            "big/object.bin",
            Long.toString(size),
            Long.toString(seed),
            Integer.toString(8 * MIB));
    pb.environment().put("PROBE_ACCESS_KEY", S3ProxyServer.ACCESS_KEY);
    pb.environment().put("PROBE_SECRET_KEY", S3ProxyServer.SECRET_KEY);
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process probe = pb.start();
    if (!probe.waitFor(10, TimeUnit.MINUTES)) {
      probe.destroyForcibly();
      throw new AssertionError("the probe did not finish in 10 minutes");
    }
    String stdout = Files.readString(out);
    assertThat(probe.exitValue()).as("probe stderr:%n%s", Files.readString(err)).isZero();

    long maxHeap =
        stdout.lines()
            .filter(l -> l.startsWith("max-heap "))
            .mapToLong(l -> Long.parseLong(l.substring(9)))
            .findFirst()
            .orElseThrow();
    assertThat(maxHeap).isLessThan(size);
    String expected = SeededBytes.sha256(seed, size);
    assertThat(stdout).contains("uploaded " + expected).contains("downloaded " + expected);
    assertThat(backend.stat("big/object.bin").orElseThrow().size()).isEqualTo(size);
    assertThat(pendingUploads()).isEmpty();
  }

  @Test
  void md5ChecksumModeRoundTrips() throws IOException {
    byte[] small = SeededBytes.of(21, 10);
    byte[] big = SeededBytes.of(22, 12 * MIB);
    try (S3Backend b = new S3Backend(target.withChecksum(S3Target.UploadChecksum.MD5))) {
      b.put("small", small);
      b.put("big", big);
      assertThat(b.readAll("small")).isEqualTo(small);
      assertThat(b.readAll("big")).isEqualTo(big);
    }
  }

  // --- failures -------------------------------------------------------------------------------

  private static void assertFails(
      ExitCode code, ThrowingConsumer<Backend> operation, Backend backend, String... mentions) {
    Throwable thrown = catchThrowable(() -> operation.accept(backend));
    assertThat(thrown)
        .as("operation %s of EVERY_OPERATION", EVERY_OPERATION.indexOf(operation))
        .isInstanceOfSatisfying(
            HoldfastException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(code);
              assertThat(e.getMessage()).contains(mentions);
              assertThat(e.getMessage() + e.hint())
                  .doesNotContain(S3ProxyServer.SECRET_KEY)
                  .doesNotContain("wrong-secret");
              assertThat(e.hint()).isNotBlank();
            });
  }

  private static final List<ThrowingConsumer<Backend>> EVERY_OPERATION =
      List.of(
          b -> b.list("").close(),
          b -> b.stat("k"),
          b -> b.open("k").close(),
          b -> b.put("k", new byte[] {1}),
          b -> {
            try (ObjectWriter w = b.create("big")) {
              w.write(new byte[6 * MIB]);
              w.commit();
            }
          },
          b -> b.delete("k")); // last: missingBucketIsTargetMissing skips it

  @Test
  void wrongSecretIsAuthenticationFailure() throws IOException {
    backend.put("k", new byte[] {1});
    S3Target wrong =
        target.withCredentials(new S3Credentials(S3ProxyServer.ACCESS_KEY, "wrong-secret"));
    try (S3Backend b = new S3Backend(wrong)) {
      for (ThrowingConsumer<Backend> operation : EVERY_OPERATION) {
        assertFails(
            ExitCode.UNREACHABLE, operation, b, "127.0.0.1:" + server.endpoint().getPort(), BUCKET);
      }
      assertThatThrownBy(() -> b.list(""))
          .hasMessageContaining("authentication failed")
          .hasMessageContaining("secret access key does not match");
    }
  }

  @Test
  void unknownAccessKeyIsAuthenticationFailure() {
    S3Target unknown = target.withCredentials(new S3Credentials("nobody", "wrong-secret"));
    try (S3Backend b = new S3Backend(unknown)) {
      for (ThrowingConsumer<Backend> operation : EVERY_OPERATION) {
        assertFails(ExitCode.UNREACHABLE, operation, b, server.endpoint().toString(), BUCKET);
      }
    }
  }

  @Test
  void missingBucketIsTargetMissing() {
    try (S3Backend b = new S3Backend(server.target("no-such-bucket", "p"))) {
      // Not delete: s3proxy answers DeleteObject in a missing bucket with 204 (AWS answers
      // NoSuchBucket, which maps to TARGET_MISSING like the rest); either way nothing is left.
      for (ThrowingConsumer<Backend> operation : EVERY_OPERATION.subList(0, 5)) {
        assertFails(
            ExitCode.TARGET_MISSING,
            operation,
            b,
            "bucket 'no-such-bucket' does not exist",
            server.endpoint().toString());
      }
    }
  }

  @Test
  void refusedConnectionIsUnreachable() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    S3Target nowhere = target.withEndpoint(URI.create("http://127.0.0.1:" + closedPort), true);
    try (S3Backend b = new S3Backend(nowhere)) {
      assertFails(
          ExitCode.UNREACHABLE,
          x -> x.list(""),
          b,
          "http://127.0.0.1:" + closedPort,
          BUCKET,
          "connection refused");
    }
  }

  @Test
  void serverStoppedMidUploadLeavesNoObjectAndKeepsEarlierOnes() throws Exception {
    byte[] earlier = SeededBytes.of(23, 7 * MIB);
    backend.put("earlier", earlier);
    ObjectWriter w = backend.create("interrupted");
    try {
      w.write(SeededBytes.of(24, 12 * MIB)); // two parts up, two MiB buffered
      assertThat(pendingUploads()).hasSize(1);
      server.stop();
      assertThatThrownBy(
              () -> {
                w.write(SeededBytes.of(25, 6 * MIB));
                w.commit();
              })
          .isInstanceOfSatisfying(
              HoldfastException.class,
              e -> {
                assertThat(e.exitCode()).isEqualTo(ExitCode.UNREACHABLE);
                assertThat(e.getMessage()).contains("interrupted", "connection refused");
              });
    } finally {
      w.close(); // cannot abort while the server is down, and must not throw
      server.start();
    }
    assertThat(backend.stat("interrupted")).isEmpty();
    assertThat(keys(backend, "")).containsExactly("earlier");
    assertThat(backend.readAll("earlier")).isEqualTo(earlier);
    // The server keeps the abandoned parts, invisible, until they are aborted.
    assertThat(pendingUploads()).hasSize(1);
    // After the restart the same key uploads normally.
    byte[] again = SeededBytes.of(26, 6 * MIB);
    backend.put("interrupted", again);
    assertThat(backend.readAll("interrupted")).isEqualTo(again);
  }
}
