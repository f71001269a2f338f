package dev.holdfast.backend;

import java.util.Objects;

/**
 * An S3 access key pair supplied by the caller (read from the environment or a credentials file).
 * Its {@link #toString()} never shows either part, so it can sit in records that get logged.
 */
public record S3Credentials(String accessKeyId, String secretAccessKey) {
  public S3Credentials {
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(secretAccessKey, "secretAccessKey");
    if (accessKeyId.isBlank() || secretAccessKey.isBlank()) {
      throw new IllegalArgumentException(
          "S3 access key ID and secret access key must not be blank");
    }
  }

  @Override
  public String toString() {
    return "S3Credentials[redacted]";
  }
}
