package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.S3Target.UploadChecksum;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class S3TargetTest {
  @Test
  void awsFormNamesBucketAndPrefix() {
    S3Target t = S3Target.parse("s3://backups/hosts/web1");
    assertThat(t.bucket()).isEqualTo("backups");
    assertThat(t.prefix()).isEqualTo("hosts/web1");
    assertThat(t.endpoint()).isNull();
    assertThat(t.region()).isNull(); // the SDK's region chain decides
    assertThat(t.pathStyle()).isFalse();
    assertThat(t.credentials()).isNull();
    assertThat(t.partSize()).isEqualTo(S3Target.DEFAULT_PART_SIZE);
    assertThat(t.checksum()).isEqualTo(UploadChecksum.CRC32);
    assertThat(t.url()).isEqualTo("s3://backups/hosts/web1");
  }

  @Test
  void awsFormWithoutPrefixOrWithSlashes() {
    assertThat(S3Target.parse("s3://backups").prefix()).isEmpty();
    assertThat(S3Target.parse("s3://backups/").prefix()).isEmpty();
    assertThat(S3Target.parse("s3://backups/a/b/").prefix()).isEqualTo("a/b");
    assertThat(S3Target.parse("S3://backups/a").bucket()).isEqualTo("backups");
  }

  @Test
  void resticFormImpliesEndpointAndPathStyle() {
    S3Target t = S3Target.parse("s3:http://127.0.0.1:9000/bucket/some/prefix");
    assertThat(t.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
    assertThat(t.pathStyle()).isTrue();
    assertThat(t.region()).isEqualTo("us-east-1");
    assertThat(t.bucket()).isEqualTo("bucket");
    assertThat(t.prefix()).isEqualTo("some/prefix");
  }

  @Test
  void resticFormWithHttpsAndNoPrefix() {
    S3Target t = S3Target.parse("s3:https://minio.lan/backups");
    assertThat(t.endpoint()).isEqualTo(URI.create("https://minio.lan"));
    assertThat(t.bucket()).isEqualTo("backups");
    assertThat(t.prefix()).isEmpty();
  }

  @Test
  void resticFormWithoutSchemeMeansHttps() {
    S3Target t = S3Target.parse("s3:minio.lan:9000/backups/x");
    assertThat(t.endpoint()).isEqualTo(URI.create("https://minio.lan:9000"));
    assertThat(t.pathStyle()).isTrue();
    assertThat(t.prefix()).isEqualTo("x");
  }

  @Test
  void resticFormWithIpv6Host() {
    S3Target t = S3Target.parse("s3:http://[::1]:9000/b/p");
    assertThat(t.endpoint()).isEqualTo(URI.create("http://[::1]:9000"));
    assertThat(t.bucket()).isEqualTo("b");
  }

  @Test
  void resticFormOnAmazonHostMeansAws() {
    S3Target global = S3Target.parse("s3:s3.amazonaws.com/backups/p");
    assertThat(global.endpoint()).isNull();
    assertThat(global.pathStyle()).isFalse();
    assertThat(global.region()).isNull();
    S3Target regional = S3Target.parse("s3:https://s3.eu-west-1.amazonaws.com/backups");
    assertThat(regional.endpoint()).isNull();
    assertThat(regional.region()).isEqualTo("eu-west-1");
    assertThat(S3Target.parse("s3:s3-us-gov-west-1.amazonaws.com/b").region())
        .isEqualTo("us-gov-west-1");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "backups",
        "s3://",
        "s3:///prefix",
        "s3://bad bucket/x",
        "s3://bucket/a//b",
        "s3://bucket/a/../b",
        "s3://host:9000/bucket",
        "s3:http://host:9000",
        "s3:http://host:9000/",
        "s3:http:///bucket",
        "s3:http://host/bucket?x=1",
        "sftp://nas/backups",
        "s3:ftp://host/bucket",
      })
  void rejectsMalformedTargetsAsUsageErrors(String url) {
    assertThatThrownBy(() -> S3Target.parse(url))
        .isInstanceOfSatisfying(
            HoldfastException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
              assertThat(e.getMessage()).startsWith("invalid S3 target");
              assertThat(e.hint()).contains("s3://bucket/prefix");
            });
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"s3:http://AKIAKEY:topsecret@host:9000/bucket", "s3://AKIAKEY:topsecret@bucket/p"})
  void rejectsCredentialsInTheUrlWithoutRepeatingThem(String url) {
    assertThatThrownBy(() -> S3Target.parse(url))
        .isInstanceOfSatisfying(
            HoldfastException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
              assertThat(e.getMessage()).doesNotContain("topsecret").doesNotContain("AKIAKEY");
            });
  }

  @Test
  void settingsAreValidated() {
    S3Target t = S3Target.parse("s3://b/p");
    assertThat(t.withPartSize(S3Target.MIN_PART_SIZE).partSize()).isEqualTo(5 * S3Target.MIB);
    assertThatThrownBy(() -> t.withPartSize(S3Target.MIN_PART_SIZE - 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.withPartSize(S3Target.MAX_PART_SIZE + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.withEndpoint(URI.create("http://user:pw@host"), true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("pw");
    assertThat(t.withStorageClass(" ").storageClass()).isNull();
    assertThat(t.withEndpoint(URI.create("http://host:1"), true).region()).isEqualTo("us-east-1");
    assertThat(t.withRegion("eu-central-1").withEndpoint(URI.create("http://h"), true).region())
        .isEqualTo("eu-central-1");
  }

  @Test
  void toStringNeverShowsCredentials() {
    S3Target t =
        S3Target.parse("s3:http://h:1/b/p")
            .withCredentials(new S3Credentials("AKIAEXAMPLEKEYID", "wJalrXUtnFEMIsecret"));
    assertThat(t.toString()).doesNotContain("AKIAEXAMPLEKEYID").doesNotContain("wJalrXUtnFEMIsecret");
    assertThat(t.credentials().toString()).isEqualTo("S3Credentials[redacted]");
  }
}
