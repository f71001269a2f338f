package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class S3BackendTest {
  @Test
  void partSizeDoublesEveryThousandPartsUpToTheCap() {
    int base = 16 * S3Target.MIB;
    assertThat(S3Backend.partSize(base, 1)).isEqualTo(base);
    assertThat(S3Backend.partSize(base, 1000)).isEqualTo(base);
    assertThat(S3Backend.partSize(base, 1001)).isEqualTo(2 * base);
    assertThat(S3Backend.partSize(base, 2001)).isEqualTo(4 * base);
    assertThat(S3Backend.partSize(base, 10_000)).isEqualTo(S3Target.MAX_PART_SIZE);
  }

  @Test
  void partsStayWithinAQuarterOfTheHeapButNeverBelowTheConfiguredSize() {
    long quarter = Runtime.getRuntime().maxMemory() / 4;
    int bound = S3Backend.heapBoundPartSize(S3Target.MIN_PART_SIZE);
    assertThat((long) bound).isLessThanOrEqualTo(Math.max(quarter, S3Target.MIN_PART_SIZE))
        .isLessThanOrEqualTo(S3Target.MAX_PART_SIZE).isGreaterThanOrEqualTo(S3Target.MIN_PART_SIZE);
    assertThat(S3Backend.heapBoundPartSize(S3Target.MAX_PART_SIZE)).as("an explicit part size is kept")
        .isEqualTo(S3Target.MAX_PART_SIZE);
  }

  @Test
  void tenThousandPartsHoldMoreThanThreeTebibytesEvenFromTheSmallestPartSize() {
    long total = 0;
    for (int n = 1; n <= S3Backend.MAX_PARTS; n++) {
      total += S3Backend.partSize(S3Target.MIN_PART_SIZE, n);
    }
    assertThat(total).isGreaterThan(3L << 40);
  }

  @Test
  void locationShowsAnExplicitEndpointWithoutUserInfo() {
    S3Target t =
        S3Target.parse("s3:http://127.0.0.1:9/bucket/pre/fix")
            .withCredentials(new S3Credentials("AKIAEXAMPLE", "secret-never-shown"));
    try (S3Backend b = new S3Backend(t)) {
      assertThat(b.location()).isEqualTo("s3://bucket/pre/fix at http://127.0.0.1:9");
      assertThat(b.targetUrl()).as("as --from takes it, for hints").isEqualTo("s3://bucket/pre/fix");
    }
  }

  /** The SDK reads AWS_ENDPOINT_URL, or the aws.endpointUrl system property, when we set none. */
  @Test
  void endpointFromTheSdkEnvironmentIsHonouredAndShown() {
    String previous = System.setProperty("aws.endpointUrl", "http://minio.lan:9000");
    try (S3Backend b = new S3Backend(S3Target.aws("bucket", "p").withRegion("eu-west-1"))) {
      assertThat(b.location()).isEqualTo("s3://bucket/p at http://minio.lan:9000");
    } finally {
      if (previous == null) {
        System.clearProperty("aws.endpointUrl");
      } else {
        System.setProperty("aws.endpointUrl", previous);
      }
    }
  }

  @Test
  void awsLocationIsTheBucketUrl() {
    try (S3Backend b = new S3Backend(S3Target.aws("bucket", "").withRegion("eu-west-1"))) {
      assertThat(b.location()).isEqualTo("s3://bucket");
    }
  }
}
