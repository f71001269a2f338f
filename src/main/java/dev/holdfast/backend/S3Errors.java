package dev.holdfast.backend;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns AWS SDK failures into Holdfast errors. Messages are built from error codes and the target's
 * location, never from the request, so they cannot carry credentials.
 */
final class S3Errors {
  private static final String AUTH_HINT =
      "check the access key ID and secret access key given for this target (or AWS_ACCESS_KEY_ID"
          + " and AWS_SECRET_ACCESS_KEY, or the AWS profile) and that they may use this bucket";

  private S3Errors() {}

  /**
   * The user-facing error for a failure that retrying cannot fix (no such bucket, rejected
   * credentials, no route to the server), or null when the failure may be transient.
   *
   * @param doing what was being done, naming the target and its endpoint
   */
  static HoldfastException fatal(String doing, String bucket, SdkException e) {
    if (e instanceof AwsServiceException s) {
      return fatalServiceError(doing, bucket, s);
    }
    for (Throwable c = e; c != null; c = c.getCause()) {
      String reason =
          switch (c) {
            case ConnectException x -> "connection refused";
            case UnknownHostException x -> "unknown host " + x.getMessage();
            case NoRouteToHostException x -> "no route to host";
            case SocketTimeoutException x
                when x.getMessage() != null
                    && x.getMessage().toLowerCase(Locale.ROOT).contains("connect") ->
                "connection timed out";
            case SSLException x -> "TLS handshake failed: " + x.getMessage();
            default -> null;
          };
      if (reason != null) {
        return new HoldfastException(
            ExitCode.UNREACHABLE,
            doing + ": cannot connect to the S3 server: " + reason,
            "check the endpoint URL and that the S3 server is running and reachable from here",
            e);
      }
    }
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (message.contains("Unable to load credentials")) {
      return new HoldfastException(
          ExitCode.UNREACHABLE,
          doing + ": no S3 credentials found",
          "give the target an access key ID and secret access key, or set AWS_ACCESS_KEY_ID and"
              + " AWS_SECRET_ACCESS_KEY, or configure an AWS profile",
          e);
    }
    if (message.contains("Unable to load region")) {
      return new HoldfastException(
          ExitCode.USAGE, doing + ": no AWS region configured", "set the target's region", e);
    }
    return null;
  }

  private static HoldfastException fatalServiceError(
      String doing, String bucket, AwsServiceException s) {
    String code = errorCode(s);
    int status = s.statusCode();
    String tag = " (" + (code == null ? "HTTP " + status : code) + ")";
    return switch (code == null ? "" : code) {
      case "NoSuchBucket" ->
          new HoldfastException(
              ExitCode.TARGET_MISSING,
              doing + ": bucket '" + bucket + "' does not exist" + tag,
              "create the bucket, or check the bucket name and endpoint of the target",
              s);
      case "InvalidAccessKeyId" ->
          new HoldfastException(
              ExitCode.UNREACHABLE,
              doing + ": authentication failed: the server does not know the access key ID" + tag,
              AUTH_HINT,
              s);
      case "SignatureDoesNotMatch" ->
          new HoldfastException(
              ExitCode.UNREACHABLE,
              doing
                  + ": authentication failed: the secret access key does not match the access key"
                  + " ID"
                  + tag,
              AUTH_HINT,
              s);
      case "RequestTimeTooSkewed" ->
          new HoldfastException(
              ExitCode.UNREACHABLE,
              doing + ": the server rejected the request time" + tag,
              "synchronise this machine's clock (for example with NTP)",
              s);
      case "AuthorizationHeaderMalformed", "PermanentRedirect", "IncorrectEndpoint" ->
          new HoldfastException(
              ExitCode.USAGE,
              doing + ": the bucket is not served at this region or endpoint" + tag,
              bucketRegion(s)
                  .map(r -> "set the target's region to " + r)
                  .orElse("check the target's region and endpoint"),
              s);
      default ->
          status == 401 || status == 403
              ? new HoldfastException(
                  ExitCode.UNREACHABLE,
                  doing + ": access denied" + tag,
                  AUTH_HINT,
                  s)
              : null;
    };
  }

  private static Optional<String> bucketRegion(AwsServiceException s) {
    if (s.awsErrorDetails() == null || s.awsErrorDetails().sdkHttpResponse() == null) {
      return Optional.empty();
    }
    return s.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region");
  }

  /** An I/O error for a failure that may go away on a retry. */
  static IOException io(String doing, SdkException e) {
    return new IOException(doing + ": " + describe(e), e);
  }

  static String errorCode(AwsServiceException s) {
    return s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
  }

  private static String describe(SdkException e) {
    if (e instanceof AwsServiceException s) {
      String code = errorCode(s);
      String message = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorMessage();
      return (message == null ? "the server answered HTTP " + s.statusCode() : message)
          + " ("
          + (code == null ? "" : code + ", ")
          + "HTTP "
          + s.statusCode()
          + ")";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
