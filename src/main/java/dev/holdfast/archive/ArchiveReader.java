package dev.holdfast.archive;

import dev.holdfast.backend.Backend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads an archive object as one stream: hashes the stored bytes, decompresses (gzip, zstd or
 * none, detected from the content), and hands each tar entry and its content to a visitor. The
 * compressed stream is read to its very end, so gzip's CRC and the object's SHA-256 are checked
 * even when the tar ends early.
 */
public final class ArchiveReader {
  /** Receives each entry; {@code content} is valid only during the call and must not be closed. */
  @FunctionalInterface
  public interface Visitor {
    void visit(ArchiveEntry entry, InputStream content) throws IOException;
  }

  /** What was read: the SHA-256 and size of the stored object. */
  public record Result(String objectSha256, long objectSize) {}

  private ArchiveReader() {}

  public static Result read(Backend backend, String key, Visitor visitor) throws IOException {
    return read(backend, key, null, visitor);
  }

  /**
   * Reads an archive, decrypting it when its name ends in {@code .gpg}; {@code decryption} may be
   * null for unencrypted archives. The OpenPGP integrity check (MDC) runs at the end of the stream.
   */
  public static Result read(Backend backend, String key, OpenPgpDecryption decryption, Visitor visitor)
      throws IOException {
    boolean encrypted = key.endsWith(".gpg");
    if (encrypted && decryption == null) {
      throw new HoldfastException(ExitCode.WRONG_KEY, "backup " + key + " is encrypted and no key was given",
          "pass --identity SECRET-KEY-FILE (its passphrase from --passphrase-file or HOLDFAST_PASSPHRASE), "
              + "or --passphrase-file for passphrase-encrypted backups");
    }
    try (InputStream raw = backend.open(key)) {
      return read(raw, encrypted ? decryption : null, visitor);
    }
  }

  /** Reads from a stream the caller owns (and closes). */
  public static Result read(InputStream raw, Visitor visitor) throws IOException {
    return read(raw, null, visitor);
  }

  /** Reads from a stream the caller owns (and closes), decrypting first when {@code decryption} is given. */
  public static Result read(InputStream raw, OpenPgpDecryption decryption, Visitor visitor) throws IOException {
    HashingInputStream hashed = new HashingInputStream(raw);
    InputStream decrypted = decryption == null ? hashed : decryption.decrypt(hashed);
    InputStream plain = Compression.decompress(decrypted);
    TarArchiveInputStream tar = new TarArchiveInputStream(plain, "UTF-8");
    TarArchiveEntry t;
    while ((t = tar.getNextEntry()) != null) {
      visitor.visit(toEntry(t), tar);
    }
    // drain: tar padding, the compressor's trailer (CRC check), and any trailing bytes
    plain.transferTo(OutputStreamSink.INSTANCE);
    if (decrypted != hashed) {
      decrypted.transferTo(OutputStreamSink.INSTANCE); // reaching the end checks the MDC
    }
    hashed.transferTo(OutputStreamSink.INSTANCE);
    return new Result(hashed.hex(), hashed.count());
  }

  static ArchiveEntry toEntry(TarArchiveEntry t) {
    ArchiveEntry.Type type;
    if (t.isSymbolicLink()) {
      type = ArchiveEntry.Type.SYMLINK;
    } else if (t.isLink()) {
      type = ArchiveEntry.Type.HARDLINK;
    } else if (t.isDirectory()) {
      type = ArchiveEntry.Type.DIRECTORY;
    } else if (t.isFile()) {
      type = ArchiveEntry.Type.FILE;
    } else {
      type = ArchiveEntry.Type.OTHER;
    }
    return new ArchiveEntry(
        t.getName(), type, t.getSize(), t.getMode() & 07777, t.getLastModifiedTime().toInstant(),
        t.getLongUserId(), t.getLongGroupId(), t.getUserName(), t.getGroupName(), t.getLinkName());
  }

  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }

  /** Counts and hashes what is read through it. */
  static final class HashingInputStream extends FilterInputStream {
    private final MessageDigest digest = HashingOutputStream.sha256();
    private long count;

    HashingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        digest.update((byte) b);
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        digest.update(b, off, n);
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // skipping would leave bytes out of the hash
      byte[] buf = new byte[(int) Math.min(8192, Math.max(1, n))];
      int r = read(buf, 0, (int) Math.min(buf.length, n));
      return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    long count() {
      return count;
    }

    String hex() {
      return HexFormat.of().formatHex(digest.digest());
    }
  }
}
