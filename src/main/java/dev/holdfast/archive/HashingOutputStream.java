package dev.holdfast.archive;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Counts and SHA-256-hashes the bytes passing through. Closing it does not close the underlying
 * stream, so a chain of compressors can be closed without aborting the upload beneath it.
 */
final class HashingOutputStream extends FilterOutputStream {
  private final MessageDigest digest = sha256();
  private long count;

  HashingOutputStream(OutputStream out) {
    super(out);
  }

  static MessageDigest sha256() {
    return Digests.sha256();
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    digest.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    digest.update(b, off, len);
    count += len;
  }

  long count() {
    return count;
  }

  String hex() {
    return HexFormat.of().formatHex(digest.digest());
  }

  @Override
  public void close() throws IOException {
    out.flush();
  }
}
