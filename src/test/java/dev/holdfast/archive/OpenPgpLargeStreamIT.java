package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One GiB through encryption and decryption at once, joined by a pipe, in a JVM whose whole heap
 * is 1 GiB: it completes only if neither side holds the archive in memory.
 */
class OpenPgpLargeStreamIT {
  private static final long SIZE = 1L << 30;

  @Test
  void encryptsAndDecryptsOneGibibyteAsAStream(@TempDir Path keys) throws Exception {
    // The pom's surefire/failsafe argLine sets -Xmx1g; without it this test would prove nothing.
    assertThat(Runtime.getRuntime().maxMemory()).as("max heap").isLessThanOrEqualTo(1L << 30);
    GeneratedKey key = GeneratedKey.ed25519(keys, "large");
    var encryption = OpenPgpEncryption.toRecipients(List.of(key.publicKeyFile()));
    var decryption = OpenPgpDecryption.withSecretKey(key.secretKeyFile(), null);
    var pipeIn = new PipedInputStream(1 << 20);
    var pipeOut = new PipedOutputStream(pipeIn);

    CompletableFuture<String> written = CompletableFuture.supplyAsync(() -> {
      MessageDigest sha256 = HashingOutputStream.sha256();
      try (OutputStream pipe = pipeOut; OutputStream plaintext = encryption.encrypt(pipe);
          InputStream data = new SeededInputStream(20261125, SIZE)) {
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = data.read(buffer)) > 0; ) {
          sha256.update(buffer, 0, n);
          plaintext.write(buffer, 0, n);
        }
      } catch (Exception e) {
        throw new IllegalStateException("encrypting", e);
      }
      return HexFormat.of().formatHex(sha256.digest());
    });

    MessageDigest sha256 = HashingOutputStream.sha256();
    long read = 0;
    // Closing the pipe, also on failure, ends the writer instead of leaving it blocked.
    try (InputStream pipe = pipeIn; InputStream plaintext = decryption.decrypt(pipe)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = plaintext.read(buffer)) >= 0; ) {
        sha256.update(buffer, 0, n);
        read += n;
      }
    }

    assertThat(read).isEqualTo(SIZE);
    assertThat(HexFormat.of().formatHex(sha256.digest())).isEqualTo(written.join());
  }
}
