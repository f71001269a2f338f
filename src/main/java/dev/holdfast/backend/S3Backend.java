package dev.holdfast.backend;

import dev.holdfast.backend.S3Target.UploadChecksum;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * A backend on an S3 bucket (AWS or an S3-compatible server), storing each object under the
 * target's key prefix.
 *
 * <p>Uploads stream with memory bounded by one part: an object that ends within the first part is
 * stored with one PutObject, a larger one with a multipart upload that only CompleteMultipartUpload
 * makes visible. Every upload carries a checksum the server verifies (see {@link UploadChecksum}).
 * {@code commit()} refuses an existing key twice over: it asks HeadObject first, then sends {@code
 * If-None-Match: *} so that a server supporting conditional writes (AWS since 2024, s3proxy)
 * rejects a writer that raced in between; a server that ignores the header leaves that window
 * open. The SDK's default retry policy repeats a failed request (per request, so one failed part
 * does not restart a streamed upload; the part is replayed from memory); lasting failures surface
 * as {@link HoldfastException}s (no bucket, rejected credentials, server unreachable) or
 * {@link IOException}s.
 * Requires s3:ListBucket, without which S3 answers 403 instead of 404 for a missing key.
 */
public final class S3Backend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(S3Backend.class);
  private static final String CONTENT_TYPE = "application/octet-stream";
  /** S3's limit on the number of parts in one multipart upload. */
  static final int MAX_PARTS = 10_000;
  /** Parts after which the part size doubles, so 10,000 parts reach multi-terabyte objects. */
  static final int PARTS_PER_SIZE_STEP = 1000;
  private static final int FIRST_BUFFER = 16 * 1024;

  private final S3Target target;
  private final S3Client client;
  private final String keyPrefix;
  private final String location;
  /** The location plus, on AWS, the region: what error messages name. */
  private final String where;
  private final int listPageSize;
  private volatile boolean bucketSeen;

  public S3Backend(S3Target target) {
    this(target, clientBuilder(target).build(), 1000);
  }

  /** For tests: a client with extra interceptors, a small listing page size. */
  S3Backend(S3Target target, S3Client client, int listPageSize) {
    this.target = Objects.requireNonNull(target);
    this.client = client;
    this.keyPrefix = target.prefix().isEmpty() ? "" : target.prefix() + "/";
    this.listPageSize = listPageSize;
    URI endpoint =
        target.endpoint() != null
            ? target.endpoint()
            : client.serviceClientConfiguration().endpointOverride().orElse(null);
    if (endpoint != null) {
      this.location = target.url() + " at " + displayEndpoint(endpoint);
      this.where = location;
    } else {
      this.location = target.url();
      this.where = location + " (AWS region " + client.serviceClientConfiguration().region() + ")";
    }
  }

  /** The SDK client the backend uses, configured from the target. */
  static S3ClientBuilder clientBuilder(S3Target target) {
    S3ClientBuilder b =
        S3Client.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofMinutes(2)))
            .forcePathStyle(target.pathStyle())
            .credentialsProvider(credentialsProvider(target.credentials()));
    if (target.endpoint() != null) {
      b.endpointOverride(target.endpoint());
    }
    if (target.region() != null) {
      b.region(Region.of(target.region()));
    } else {
      // Nothing configured: whatever the SDK finds (AWS_REGION, the profile), else us-east-1;
      // cross-region access then follows S3's redirects to the bucket's real region.
      b.region(sdkRegion()).crossRegionAccessEnabled(true);
    }
    if (target.checksum() == UploadChecksum.MD5) {
      b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    } else {
      b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_SUPPORTED);
    }
    return b;
  }

  private static AwsCredentialsProvider credentialsProvider(S3Credentials credentials) {
    if (credentials == null) {
      return DefaultCredentialsProvider.builder().build();
    }
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create(credentials.accessKeyId(), credentials.secretAccessKey()));
  }

  private static Region sdkRegion() {
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkClientException e) {
      return Region.US_EAST_1;
    }
  }

  /** The endpoint without anything but scheme, host, port and path. */
  private static String displayEndpoint(URI endpoint) {
    try {
      String path = endpoint.getPath();
      if (path == null || path.equals("/")) {
        path = null;
      }
      String scheme = endpoint.getScheme();
      return new URI(scheme, null, endpoint.getHost(), endpoint.getPort(), path, null, null)
          .toString();
    } catch (URISyntaxException e) {
      return endpoint.getScheme() + "://" + endpoint.getHost();
    }
  }

  /**
   * The largest part this JVM's heap can buffer safely (a quarter of it: the part is buffered, and
   * grown by copying), never below the configured base. Parts grow with the part number so that
   * 10,000 of them hold a large archive; with a capped heap (the launcher's 512 MiB) they stop at
   * 128 MiB, which still holds about 1 TB in one object.
   */
  static int heapBoundPartSize(int base) {
    long quarter = Runtime.getRuntime().maxMemory() / 4;
    return (int) Math.max(base, Math.min(quarter & ~((1L << 20) - 1), S3Target.MAX_PART_SIZE));
  }

  /** The size of part {@code partNumber} (1-based) for a base part size. */
  static int partSize(int base, int partNumber) {
    int doublings = Math.min((partNumber - 1) / PARTS_PER_SIZE_STEP, 30);
    return (int) Math.min((long) base << doublings, S3Target.MAX_PART_SIZE);
  }

  public S3Target target() {
    return target;
  }

  @Override
  public String location() {
    return location;
  }

  @Override
  public String targetUrl() {
    return target.url();
  }

  private String objectKey(String key) {
    return keyPrefix + Backend.checkKey(key);
  }

  /** Throws the user-facing error for a lasting failure, or returns an I/O error to throw. */
  private IOException failure(String doing, SdkException e) {
    HoldfastException fatal = S3Errors.fatal(doing, target.bucket(), e);
    if (fatal != null) {
      throw fatal;
    }
    return S3Errors.io(doing, e);
  }

  private static boolean notFound(SdkException e) {
    return e instanceof NoSuchKeyException
        || (e instanceof S3Exception s
            && s.statusCode() == 404
            && !"NoSuchBucket".equals(S3Errors.errorCode(s)));
  }

  @Override
  public ObjectWriter create(String key) {
    return new S3Writer(key, objectKey(key));
  }

  @Override
  public InputStream open(String key, long offset, long length) throws IOException {
    String objectKey = objectKey(key);
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    if (length == 0) {
      if (stat(key).isEmpty()) {
        throw new NoSuchFileException(key, null, "not found in " + location);
      }
      return InputStream.nullInputStream();
    }
    String range;
    if (length < 0 || length > Long.MAX_VALUE - offset) {
      range = offset == 0 ? null : "bytes=" + offset + "-";
    } else {
      range = "bytes=" + offset + "-" + (offset + length - 1);
    }
    try {
      return client.getObject(b -> b.bucket(target.bucket()).key(objectKey).range(range));
    } catch (SdkException e) {
      if (notFound(e)) {
        throw new NoSuchFileException(key, null, "not found in " + location);
      }
      if (e instanceof S3Exception s && s.statusCode() == 416) {
        return InputStream.nullInputStream(); // the range starts at or after the end
      }
      throw failure("reading " + key + " from " + where, e);
    }
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    String objectKey = objectKey(key);
    HeadObjectResponse head;
    try {
      head = client.headObject(b -> b.bucket(target.bucket()).key(objectKey));
    } catch (SdkException e) {
      if (notFound(e)) {
        checkBucket("reading metadata of " + key + " in " + where);
        return Optional.empty();
      }
      throw failure("reading metadata of " + key + " in " + where, e);
    }
    return Optional.of(new ObjectInfo(key, head.contentLength(), head.lastModified()));
  }

  /** HeadObject answers a bare 404 for a missing bucket too; tell the two apart once. */
  private void checkBucket(String doing) throws IOException {
    if (bucketSeen) {
      return;
    }
    try {
      client.headBucket(b -> b.bucket(target.bucket()));
    } catch (SdkException e) {
      if (e instanceof S3Exception s && s.statusCode() == 404) {
        throw new HoldfastException(
            ExitCode.TARGET_MISSING,
            doing + ": bucket '" + target.bucket() + "' does not exist",
            "create the bucket, or check the bucket name and endpoint of the target",
            e);
      }
      if (!(e instanceof S3Exception s && s.statusCode() == 403)) {
        throw failure(doing, e);
      }
      // May read objects but not the bucket: the object is simply missing.
    }
    bucketSeen = true;
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) throws IOException {
    Objects.requireNonNull(prefix, "prefix");
    Listing listing = new Listing(prefix);
    listing.fetch(); // the first page now: a missing bucket fails list(), not the stream
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(listing, Spliterator.NONNULL), false);
  }

  @Override
  public void delete(String key) throws IOException {
    String objectKey = objectKey(key);
    try {
      client.deleteObject(b -> b.bucket(target.bucket()).key(objectKey));
    } catch (SdkException e) {
      if (e instanceof NoSuchKeyException) {
        return; // S3 itself answers 204; some servers do not
      }
      throw failure("deleting " + key + " from " + where, e);
    }
  }

  @Override
  public void close() {
    client.close();
  }

  /** ListObjectsV2 pages, fetched as the stream is consumed. */
  private final class Listing implements Iterator<ObjectInfo> {
    private final String prefix;
    private Iterator<S3Object> page = Collections.emptyIterator();
    private String continuation;
    private boolean more = true;
    private ObjectInfo next;

    Listing(String prefix) {
      this.prefix = prefix;
    }

    void fetch() throws IOException {
      ListObjectsV2Response response;
      try {
        response =
            client.listObjectsV2(
                b ->
                    b.bucket(target.bucket())
                        .prefix(keyPrefix + prefix)
                        .maxKeys(listPageSize)
                        .continuationToken(continuation));
      } catch (SdkException e) {
        throw failure("listing '" + prefix + "' in " + where, e);
      }
      page = response.contents().iterator();
      continuation = response.nextContinuationToken();
      more = Boolean.TRUE.equals(response.isTruncated()) && continuation != null;
    }

    @Override
    public boolean hasNext() {
      while (next == null) {
        if (page.hasNext()) {
          next = info(page.next());
        } else if (more) {
          try {
            fetch();
          } catch (IOException e) {
            throw Backend.unchecked(e);
          }
        } else {
          return false;
        }
      }
      return true;
    }

    @Override
    public ObjectInfo next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      ObjectInfo result = next;
      next = null;
      return result;
    }

    /** Null for what is not one of our objects: folder markers, keys our API cannot name. */
    private ObjectInfo info(S3Object o) {
      if (!o.key().startsWith(keyPrefix)) {
        return null;
      }
      String key = o.key().substring(keyPrefix.length());
      try {
        Backend.checkKey(key);
      } catch (IllegalArgumentException e) {
        return null;
      }
      return new ObjectInfo(key, o.size(), o.lastModified());
    }
  }

  private enum WriterState {
    OPEN,
    FAILED,
    COMMITTED,
    CLOSED
  }

  /**
   * Buffers up to one part; uploads a full part when more bytes arrive, so the last part is never
   * empty and a stream that ends within the first part becomes one PutObject.
   */
  private final class S3Writer extends ObjectWriter {
    private final String key;
    private final String objectKey;
    private final List<CompletedPart> parts = new ArrayList<>();
    private byte[] buffer = new byte[FIRST_BUFFER];
    private int filled;
    private String uploadId;
    private WriterState state = WriterState.OPEN;

    S3Writer(String key, String objectKey) {
      this.key = key;
      this.objectKey = objectKey;
    }

    @Override
    public void write(int b) throws IOException {
      if (state == WriterState.OPEN && filled < buffer.length) {
        buffer[filled++] = (byte) b; // buffer.length never exceeds the current part size
      } else {
        write(new byte[] {(byte) b}, 0, 1);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      checkOpen();
      while (len > 0) {
        int limit = Math.min(partSize(target.partSize(), parts.size() + 1), heapBoundPartSize(target.partSize()));
        if (filled == limit) {
          uploadPart();
          continue;
        }
        int chunk = Math.min(len, limit - filled);
        if (buffer.length < filled + chunk) {
          long grown = Math.max(filled + chunk, 2L * buffer.length);
          buffer = Arrays.copyOf(buffer, (int) Math.min(grown, limit));
        }
        System.arraycopy(b, off, buffer, filled, chunk);
        filled += chunk;
        off += chunk;
        len -= chunk;
      }
    }

    private void checkOpen() throws IOException {
      String why =
          switch (state) {
            case OPEN -> null;
            case FAILED -> "failed";
            case COMMITTED -> "is committed";
            case CLOSED -> "is closed";
          };
      if (why != null) {
        throw new IOException("upload of " + key + " to " + location + " " + why);
      }
    }

    private String doing() {
      return "uploading " + key + " to " + where;
    }

    private void uploadPart() throws IOException {
      int number = parts.size() + 1;
      try {
        if (number > MAX_PARTS) {
          throw new IOException(doing() + ": object exceeds S3's limit of 10,000 parts (the last were "
              + (filled >> 20) + " MiB; a larger Java heap allows larger parts, e.g. HOLDFAST_JAVA_OPTS=-Xmx4g)");
        }
        if (uploadId == null) {
          refuseExisting();
          uploadId =
              client
                  .createMultipartUpload(
                      b ->
                          b.bucket(target.bucket())
                              .key(objectKey)
                              .contentType(CONTENT_TYPE)
                              .storageClass(target.storageClass())
                              .checksumAlgorithm(
                                  target.checksum() == UploadChecksum.CRC32
                                      ? ChecksumAlgorithm.CRC32
                                      : null))
                  .uploadId();
        }
        UploadPartRequest.Builder request =
            UploadPartRequest.builder()
                .bucket(target.bucket())
                .key(objectKey)
                .uploadId(uploadId)
                .partNumber(number)
                .contentLength((long) filled);
        if (target.checksum() == UploadChecksum.MD5) {
          request.contentMD5(md5(buffer, filled));
        } else {
          request.checksumAlgorithm(ChecksumAlgorithm.CRC32);
        }
        UploadPartResponse response = client.uploadPart(request.build(), body());
        parts.add(
            CompletedPart.builder()
                .partNumber(number)
                .eTag(response.eTag())
                .checksumCRC32(response.checksumCRC32())
                .build());
        filled = 0;
      } catch (SdkException e) {
        state = WriterState.FAILED;
        throw failure("uploading part " + number + " of " + key + " to " + where, e);
      } catch (IOException | RuntimeException e) {
        state = WriterState.FAILED;
        throw e;
      }
    }

    /** The buffered bytes, replayable for the SDK's retries and checksum, without a copy. */
    private RequestBody body() {
      byte[] bytes = buffer;
      int length = filled;
      return RequestBody.fromContentProvider(
          () -> new ByteArrayInputStream(bytes, 0, length), length, CONTENT_TYPE);
    }

    private void refuseExisting() throws IOException {
      if (stat(key).isPresent()) {
        throw exists();
      }
    }

    private FileAlreadyExistsException exists() {
      return new FileAlreadyExistsException(key, null, "object already exists in " + location);
    }

    @Override
    public void commit() throws IOException {
      checkOpen();
      if (uploadId != null && filled > 0) {
        uploadPart();
      }
      try {
        refuseExisting();
        if (uploadId == null) {
          putObject();
        } else {
          completeMultipartUpload();
        }
      } catch (SdkException e) {
        state = WriterState.FAILED;
        if (e instanceof S3Exception s && s.statusCode() == 412) {
          // If-None-Match refused. Either another writer committed this key since our check, or
          // the SDK retried a request whose first attempt succeeded but whose answer was lost:
          // then the stored object is ours, byte for byte, which its ETag shows.
          if (storedIsOurs()) {
            state = WriterState.COMMITTED;
            buffer = null;
            return;
          }
          throw exists();
        }
        throw failure("committing " + key + " to " + where, e);
      } catch (IOException | RuntimeException e) {
        state = WriterState.FAILED;
        throw e;
      }
      state = WriterState.COMMITTED;
      buffer = null;
    }

    /** True when the object under our key has the ETag our own upload produces. */
    private boolean storedIsOurs() {
      try {
        String etag = client.headObject(b -> b.bucket(target.bucket()).key(objectKey)).eTag();
        if (etag == null) {
          return false;
        }
        etag = etag.replace("\"", "").toLowerCase(java.util.Locale.ROOT);
        if (uploadId == null) {
          return etag.equals(hexMd5(buffer, filled));
        }
        // multipart: MD5 of the concatenated binary part MD5s, then "-<number of parts>"
        MessageDigest md = MessageDigest.getInstance("MD5");
        for (CompletedPart p : parts) {
          md.update(java.util.HexFormat.of().parseHex(p.eTag().replace("\"", "")));
        }
        return etag.equals(java.util.HexFormat.of().formatHex(md.digest()) + "-" + parts.size());
      } catch (RuntimeException | NoSuchAlgorithmException e) {
        return false;
      }
    }

    private void putObject() throws IOException {
      String md5 = target.checksum() == UploadChecksum.MD5 ? md5(buffer, filled) : null;
      client.putObject(
          b ->
              b.bucket(target.bucket())
                  .key(objectKey)
                  .contentType(CONTENT_TYPE)
                  .contentLength((long) filled)
                  .storageClass(target.storageClass())
                  .ifNoneMatch("*")
                  .contentMD5(md5)
                  .checksumAlgorithm(md5 == null ? ChecksumAlgorithm.CRC32 : null),
          body());
    }

    private void completeMultipartUpload() {
      client.completeMultipartUpload(
          b ->
              b.bucket(target.bucket())
                  .key(objectKey)
                  .uploadId(uploadId)
                  .ifNoneMatch("*")
                  .multipartUpload(u -> u.parts(parts)));
    }

    @Override
    public void close() {
      if (state == WriterState.CLOSED) {
        return;
      }
      boolean committed = state == WriterState.COMMITTED;
      state = WriterState.CLOSED;
      buffer = null;
      if (committed || uploadId == null) {
        return;
      }
      try {
        client.abortMultipartUpload(
            b -> b.bucket(target.bucket()).key(objectKey).uploadId(uploadId));
      } catch (RuntimeException e) {
        // Rollback never throws. The parts stay invisible; they cost storage until a lifecycle
        // rule (AbortIncompleteMultipartUpload) or the next cleanup removes them.
        log.warn(
            "could not abort the multipart upload of {} to {}: {}", key, where, e.getMessage());
      }
    }
  }

  private static String hexMd5(byte[] bytes, int length) {
    return java.util.HexFormat.of().formatHex(Base64.getDecoder().decode(md5(bytes, length)));
  }

  private static String md5(byte[] bytes, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(bytes, 0, length);
      return Base64.getEncoder().encodeToString(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
  }
}
