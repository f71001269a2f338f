package dev.holdfast.backend;

import dev.holdfast.error.HoldfastException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where and how an {@link S3Backend} stores: a bucket and key prefix, and the connection settings
 * for AWS or an S3-compatible server.
 *
 * @param bucket the bucket name
 * @param prefix the key prefix inside the bucket, without leading or trailing '/'; may be empty
 * @param endpoint the server's base URL, or null for AWS (the SDK then honours {@code
 *     AWS_ENDPOINT_URL}/{@code AWS_ENDPOINT_URL_S3} and the profile's {@code endpoint_url})
 * @param region the signing region; null lets the SDK's region chain decide (us-east-1 when it
 *     finds none); defaults to us-east-1 when an endpoint is given
 * @param pathStyle address the bucket in the path ({@code host/bucket/key}) rather than the host
 *     name ({@code bucket.host/key}); most self-hosted servers need it
 * @param storageClass the storage class for new objects ("STANDARD_IA"), or null for the bucket's
 *     default
 * @param credentials the access key pair, or null for the SDK's default credentials chain
 * @param partSize bytes buffered per multipart part (the upload's memory bound), at least 5 MiB
 * @param checksum how the server is asked to verify uploaded bytes
 */
public record S3Target(
    String bucket,
    String prefix,
    URI endpoint,
    String region,
    boolean pathStyle,
    String storageClass,
    S3Credentials credentials,
    int partSize,
    UploadChecksum checksum) {

  /** How uploads carry a checksum the server verifies before it stores the bytes. */
  public enum UploadChecksum {
    /**
     * The SDK's flexible checksum: a CRC32 per request (sent as an aws-chunked trailer) and a
     * composite CRC32 checked again when a multipart upload completes. AWS and current S3 servers.
     */
    CRC32,
    /** A Content-MD5 header per request, for older S3-compatible servers that reject CRC32. */
    MD5
  }

  public static final int MIB = 1024 * 1024;
  /** S3's smallest allowed part (except the last). */
  public static final int MIN_PART_SIZE = 5 * MIB;
  public static final int DEFAULT_PART_SIZE = 16 * MIB;
  /** Far below S3's 5 GiB part limit: the part is held in memory. */
  public static final int MAX_PART_SIZE = 1024 * MIB;
  public static final String DEFAULT_ENDPOINT_REGION = "us-east-1";

  private static final String FORMS =
      "use s3://bucket/prefix for AWS, or s3:https://host:port/bucket/prefix for an S3-compatible"
          + " server";
  private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern AWS_HOST =
      Pattern.compile(
          "s3(?:[.-]([a-z]{2}(?:-[a-z]+)+-\\d+))?\\.amazonaws\\.com", Pattern.CASE_INSENSITIVE);

  public S3Target {
    if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.length() > 255) {
      throw new IllegalArgumentException("invalid S3 bucket name: '" + bucket + "'");
    }
    prefix = normalizePrefix(prefix == null ? "" : prefix);
    if (endpoint != null) {
      if (endpoint.getRawUserInfo() != null) {
        throw new IllegalArgumentException("the S3 endpoint URL must not contain credentials");
      }
      String scheme =
          endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
        throw new IllegalArgumentException(
            "invalid S3 endpoint '" + endpoint + "': expected http(s)://host[:port]");
      }
    }
    if (region != null && region.isBlank()) {
      region = null;
    }
    if (region == null && endpoint != null) {
      region = DEFAULT_ENDPOINT_REGION;
    }
    if (storageClass != null && storageClass.isBlank()) {
      storageClass = null;
    }
    if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw new IllegalArgumentException(
          "S3 part size must be between 5 MiB and 1024 MiB, got " + partSize + " bytes");
    }
    if (checksum == null) {
      checksum = UploadChecksum.CRC32;
    }
  }

  /** A target on AWS with the default settings. */
  public static S3Target aws(String bucket, String prefix) {
    return new S3Target(bucket, prefix, null, null, false, null, null, DEFAULT_PART_SIZE, null);
  }

  /**
   * Parses a target URL: {@code s3://bucket/prefix} (AWS, or {@code AWS_ENDPOINT_URL}), or
   * restic's {@code s3:http(s)://host:port/bucket/prefix} and {@code s3:host/bucket/prefix}
   * (https), which name the endpoint and imply path-style addressing. restic's form with an
   * amazonaws.com host means AWS itself. The prefix may be empty.
   *
   * @throws HoldfastException with exit code USAGE when the URL is not one of these forms
   */
  public static S3Target parse(String url) {
    if (url == null || url.isEmpty()) {
      throw invalid("", "it is empty");
    }
    if (url.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      throw invalid(url, "it contains whitespace");
    }
    if (url.regionMatches(true, 0, "s3://", 0, 5)) {
      String rest = url.substring(5);
      int slash = rest.indexOf('/');
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      if (bucket.contains("@") || bucket.contains(":")) {
        throw invalid(url, "credentials or a port do not belong in an s3:// URL");
      }
      return withBucketPath(url, rest, null, false, null);
    }
    if (!url.regionMatches(true, 0, "s3:", 0, 3)) {
      throw invalid(url, "it does not start with s3:");
    }
    String rest = url.substring(3);
    String lower = rest.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
      rest = "https://" + rest; // restic: s3:host/bucket means https
    }
    URI uri;
    try {
      uri = new URI(rest);
    } catch (URISyntaxException e) {
      throw invalid(url, "it is not a valid URL (" + e.getReason() + ")");
    }
    if (uri.getRawUserInfo() != null) {
      throw invalid(url, "credentials do not belong in the URL");
    }
    if (uri.getHost() == null) {
      throw invalid(url, "the server's host name is missing");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw invalid(url, "it has a query or fragment");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.startsWith("/") || path.length() == 1) {
      throw invalid(url, "the bucket name is missing");
    }
    Matcher aws = AWS_HOST.matcher(uri.getHost());
    if (aws.matches() && uri.getPort() < 0 && uri.getScheme().equalsIgnoreCase("https")) {
      // restic's s3:s3.amazonaws.com/bucket: AWS itself, where virtual-hosted style is the norm.
      return withBucketPath(url, path.substring(1), null, false, aws.group(1));
    }
    URI endpoint;
    try {
      endpoint =
          new URI(
              uri.getScheme().toLowerCase(Locale.ROOT),
              null,
              uri.getHost(),
              uri.getPort(),
              null,
              null,
              null);
    } catch (URISyntaxException e) {
      throw invalid(url, "it is not a valid URL (" + e.getReason() + ")");
    }
    return withBucketPath(url, path.substring(1), endpoint, true, null);
  }

  private static S3Target withBucketPath(
      String url, String bucketPath, URI endpoint, boolean pathStyle, String region) {
    int slash = bucketPath.indexOf('/');
    String bucket = slash < 0 ? bucketPath : bucketPath.substring(0, slash);
    String prefix = slash < 0 ? "" : bucketPath.substring(slash + 1);
    if (bucket.isEmpty()) {
      throw invalid(url, "the bucket name is missing");
    }
    if (!BUCKET.matcher(bucket).matches()) {
      throw invalid(url, "'" + bucket + "' is not a valid bucket name");
    }
    try {
      return new S3Target(
          bucket, prefix, endpoint, region, pathStyle, null, null, DEFAULT_PART_SIZE, null);
    } catch (IllegalArgumentException e) {
      throw invalid(url, e.getMessage());
    }
  }

  private static String normalizePrefix(String prefix) {
    String p = prefix;
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (!p.isEmpty()) {
      for (String part : p.split("/", -1)) {
        if (part.isEmpty() || part.equals(".") || part.equals("..")) {
          throw new IllegalArgumentException("invalid S3 key prefix: '" + prefix + "'");
        }
      }
    }
    return p;
  }

  private static HoldfastException invalid(String url, String why) {
    return HoldfastException.usage(
        "invalid S3 target '" + redact(url) + "': " + why, FORMS + "; pass credentials separately");
  }

  /** The URL with any user-info part (which may hold a secret) blanked out. */
  private static String redact(String url) {
    return url.replaceAll("//[^/@]*@", "//***@");
  }

  public S3Target withEndpoint(URI endpoint, boolean pathStyle) {
    return new S3Target(
        bucket, prefix, endpoint, region, pathStyle, storageClass, credentials, partSize, checksum);
  }

  public S3Target withRegion(String region) {
    return new S3Target(
        bucket, prefix, endpoint, region, pathStyle, storageClass, credentials, partSize, checksum);
  }

  public S3Target withStorageClass(String storageClass) {
    return new S3Target(
        bucket, prefix, endpoint, region, pathStyle, storageClass, credentials, partSize, checksum);
  }

  public S3Target withCredentials(S3Credentials credentials) {
    return new S3Target(
        bucket, prefix, endpoint, region, pathStyle, storageClass, credentials, partSize, checksum);
  }

  public S3Target withPartSize(int partSize) {
    return new S3Target(
        bucket, prefix, endpoint, region, pathStyle, storageClass, credentials, partSize, checksum);
  }

  public S3Target withChecksum(UploadChecksum checksum) {
    return new S3Target(
        bucket, prefix, endpoint, region, pathStyle, storageClass, credentials, partSize, checksum);
  }

  /** {@code s3://bucket/prefix}, without the endpoint. */
  public String url() {
    return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
  }
}
