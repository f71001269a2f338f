package dev.holdfast.backend;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for integration tests: s3proxy embedded in the test JVM on 127.0.0.1 and a
 * random port, storing in a directory, with AWS v2/v4 authentication so a wrong secret is
 * rejected. It can be stopped and started again on the same port over the same directory.
 */
final class S3ProxyServer {
  static final String ACCESS_KEY = "holdfast-it-access-key";
  static final String SECRET_KEY = "holdfast-it-secret-key-0123456789";

  private final Path directory;
  private int port;
  private S3Proxy proxy;
  private BlobStore store;

  S3ProxyServer(Path directory) {
    this.directory = directory;
  }

  /** Starts the server, on the port it had before if it ran before. */
  void start() throws Exception {
    Properties properties = new Properties();
    properties.setProperty("jclouds.filesystem.basedir", directory.toString());
    properties.setProperty(Constants.PROPERTY_IDENTITY, ACCESS_KEY);
    properties.setProperty(Constants.PROPERTY_CREDENTIAL, SECRET_KEY);
    store = BlobStores.create("filesystem", properties);
    proxy =
        S3Proxy.builder()
            .blobStore(store)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .stopTimeout(0)
            .build();
    proxy.start();
    while (!proxy.getState().equals("STARTED")) {
      Thread.sleep(10);
    }
    port = proxy.getPort();
  }

  void stop() throws Exception {
    if (proxy != null) {
      proxy.stop();
      store.close();
      proxy = null;
    }
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  S3Credentials credentials() {
    return new S3Credentials(ACCESS_KEY, SECRET_KEY);
  }

  /** A target on this server with the smallest part size, so tests reach multipart quickly. */
  S3Target target(String bucket, String prefix) {
    return new S3Target(
        bucket,
        prefix,
        endpoint(),
        null,
        true,
        null,
        credentials(),
        S3Target.MIN_PART_SIZE,
        S3Target.UploadChecksum.CRC32);
  }

  /** A plain SDK client, independent of the backend, to arrange and inspect the server. */
  S3Client client() {
    return S3Client.builder()
        .httpClient(UrlConnectionHttpClient.create())
        .endpointOverride(endpoint())
        .forcePathStyle(true)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .build();
  }
}
