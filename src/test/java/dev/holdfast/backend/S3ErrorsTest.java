package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ErrorsTest {
  private static final String DOING = "listing '' in s3://b/p at http://h:9";

  private static S3Exception serviceError(int status, String code) {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .awsErrorDetails(
                AwsErrorDetails.builder()
                    .errorCode(code)
                    .errorMessage("message from the server")
                    .sdkHttpResponse(SdkHttpResponse.builder().statusCode(status).build())
                    .build())
            .build();
  }

  private static HoldfastException fatal(SdkException e) {
    return S3Errors.fatal(DOING, "b", e);
  }

  @Test
  void missingBucketIsTargetMissing() {
    HoldfastException e = fatal(serviceError(404, "NoSuchBucket"));
    assertThat(e.exitCode()).isEqualTo(ExitCode.TARGET_MISSING);
    assertThat(e.getMessage()).startsWith(DOING).contains("bucket 'b' does not exist");
    assertThat(e.hint()).contains("create the bucket");
  }

  @Test
  void rejectedCredentialsAreUnreachable() {
    for (String code :
        new String[] {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", null}) {
      HoldfastException e = fatal(serviceError(403, code));
      assertThat(e.exitCode()).as(code).isEqualTo(ExitCode.UNREACHABLE);
      assertThat(e.getMessage()).startsWith(DOING);
      assertThat(e.hint()).contains("access key");
    }
    assertThat(fatal(serviceError(403, "SignatureDoesNotMatch")).getMessage())
        .contains("secret access key does not match");
    assertThat(fatal(serviceError(403, "RequestTimeTooSkewed")).hint()).contains("clock");
  }

  @Test
  void wrongRegionIsAConfigurationError() {
    S3Exception redirect =
        (S3Exception)
            S3Exception.builder()
                .statusCode(301)
                .awsErrorDetails(
                    AwsErrorDetails.builder()
                        .errorCode("PermanentRedirect")
                        .sdkHttpResponse(
                            SdkHttpResponse.builder()
                                .statusCode(301)
                                .putHeader("x-amz-bucket-region", "eu-west-1")
                                .build())
                        .build())
                .build();
    HoldfastException e = fatal(redirect);
    assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(e.hint()).isEqualTo("set the target's region to eu-west-1");
  }

  @Test
  void connectionFailuresAreUnreachable() {
    HoldfastException refused =
        fatal(
            SdkClientException.create(
                "Unable to execute HTTP request: Connection refused",
                new ConnectException("Connection refused")));
    assertThat(refused.exitCode()).isEqualTo(ExitCode.UNREACHABLE);
    assertThat(refused.getMessage()).isEqualTo(DOING + ": cannot connect to the S3 server: connection refused");
    assertThat(refused.hint()).contains("endpoint");

    HoldfastException unknownHost =
        fatal(SdkClientException.create("x", new UnknownHostException("nas.invalid")));
    assertThat(unknownHost.getMessage()).endsWith("unknown host nas.invalid");
  }

  @Test
  void missingCredentialsAreUnreachable() {
    HoldfastException e =
        fatal(SdkClientException.create("Unable to load credentials from any of the providers"));
    assertThat(e.exitCode()).isEqualTo(ExitCode.UNREACHABLE);
    assertThat(e.hint()).contains("AWS_ACCESS_KEY_ID");
  }

  @Test
  void transientFailuresStayIoExceptions() {
    assertThat(fatal(serviceError(500, "InternalError"))).isNull();
    assertThat(fatal(serviceError(503, "SlowDown"))).isNull();
    assertThat(fatal(SdkClientException.create("Connection reset", new IOException("reset"))))
        .isNull();
    IOException io = S3Errors.io(DOING, serviceError(500, "InternalError"));
    assertThat(io.getMessage())
        .isEqualTo(DOING + ": message from the server (InternalError, HTTP 500)");
  }
}
