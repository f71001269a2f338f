package dev.holdfast.backend;

import java.io.InputStream;
import java.net.URI;

/**
 * Uploads a large seeded object through {@link S3Backend} and reads it back, printing both
 * SHA-256s. {@link S3BackendIT} runs it in a JVM whose heap is smaller than the object, which only
 * succeeds if upload and download stream. Credentials come from the environment, not arguments.
 */
public final class S3StreamingProbe {
  private S3StreamingProbe() {}

  public static void main(String[] args) throws Exception {
    URI endpoint = URI.create(args[0]);
    String bucket = args[1];
    String prefix = args[2];
    String key = args[3];
    long size = Long.parseLong(args[4]);
    long seed = Long.parseLong(args[5]);
    int partSize = Integer.parseInt(args[6]);
    S3Credentials credentials =
        new S3Credentials(System.getenv("PROBE_ACCESS_KEY"), System.getenv("PROBE_SECRET_KEY"));
    S3Target target =
        new S3Target(bucket, prefix, endpoint, null, true, null, credentials, partSize, null);
    try (S3Backend backend = new S3Backend(target)) {
      String uploaded;
      try (ObjectWriter writer = backend.create(key)) {
        uploaded = SeededBytes.write(seed, size, writer);
        writer.commit();
      }
      String downloaded;
      try (InputStream in = backend.open(key)) {
        downloaded = SeededBytes.sha256(in);
      }
      System.out.println("max-heap " + Runtime.getRuntime().maxMemory());
      System.out.println("uploaded " + uploaded);
      System.out.println("downloaded " + downloaded);
    }
  }
}
