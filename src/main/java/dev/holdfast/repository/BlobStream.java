package dev.holdfast.repository;

import com.github.luben.zstd.ZstdDecompressCtx;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * Reads blobs from a pack stream and hands their plaintext out in pieces of at most {@link #SLICE}
 * bytes, so that a reader (a restore worker) needs no buffer as large as a blob (up to 8 MiB each,
 * and a restore runs four workers).
 *
 * <ul>
 *   <li>An uncompressed blob is decrypted as it is read, its MAC computed alongside; the MAC and the
 *       blob's id are checked once its last byte is handed out. Its plaintext is therefore out before
 *       it is authenticated: the caller must write it only where damage can take it back (a
 *       restore's staging directory, which a failed restore removes, and whose damaged files a
 *       partial restore leaves out).
 *   <li>A compressed blob is read whole (it is small: compressible data), authenticated and
 *       decrypted before a byte of it is decompressed (zstd never sees data that failed its MAC),
 *       then decompressed in pieces, never to more than the length the index states.
 * </ul>
 *
 * One per thread; reusable blob after blob. Not thread-safe.
 */
public final class BlobStream implements AutoCloseable {
  /** The largest piece handed out (and the largest single read and write it causes). */
  public static final int SLICE = 256 << 10;

  /** Where the plaintext goes, piece after piece, in order. */
  @FunctionalInterface
  public interface Sink {
    void accept(byte[] buf, int off, int len) throws IOException;
  }

  /** For a blob that is only checked (verify, prune) or read past (restore, its files lost). */
  public static final Sink DISCARD = (buf, off, len) -> { };

  private final CryptoKey.Streaming opener;
  private final CryptoKey master;
  private final MessageDigest sha = ObjectId.sha256();
  private final byte[] cipherSlice = new byte[SLICE];
  private final byte[] plainSlice = new byte[SLICE];
  private final byte[] edge = new byte[CryptoKey.IV];
  private byte[] sealed;
  private ZstdDecompressCtx zstd;
  private ByteBuffer zin;
  private ByteBuffer zout;

  /** {@code compressedCapacity}: the largest sealed compressed blob expected (grown when one is larger). */
  BlobStream(CryptoKey master, int compressedCapacity) {
    this.master = master;
    this.opener = master.streaming();
    this.sealed = new byte[Math.max(0, compressedCapacity)];
  }

  /**
   * Reads blob {@code b} of {@code pack} from {@code in}, which is at its first byte, to its last,
   * handing its plaintext to {@code sink}; then checks it. Damage is a {@link
   * dev.holdfast.error.HoldfastException} (exit 4) naming the blob and pack, thrown with the stream
   * at the blob's end, so the caller can go on with the next blob; an {@link EOFException} if the
   * stream ends inside the blob.
   */
  public void read(ObjectId pack, PackedBlob b, InputStream in, Sink sink) throws IOException {
    Repository.countBulkCrypto(b.length());
    if (b.length() < CryptoKey.OVERHEAD) {
      readFully(in, cipherSlice, b.length()); // read, not skipped: a caller may be hashing the stream
      throw Repository.damagedBlob(pack, b, "ciphertext too short (" + b.length() + " bytes)");
    }
    if (b.compressed()) {
      readCompressed(pack, b, in, sink);
    } else {
      readPlain(pack, b, in, sink);
    }
  }

  private void readPlain(ObjectId pack, PackedBlob b, InputStream in, Sink sink) throws IOException {
    readFully(in, edge, CryptoKey.IV);
    boolean ivOk = true;
    try {
      opener.begin(edge);
    } catch (CryptoKey.CiphertextException e) {
      ivOk = false; // read on to the blob's end all the same
    }
    sha.reset();
    long left = b.length() - CryptoKey.OVERHEAD;
    while (left > 0) {
      int n = (int) Math.min(SLICE, left);
      readFully(in, cipherSlice, n);
      left -= n;
      if (ivOk) {
        opener.open(cipherSlice, 0, n, plainSlice, 0);
        sha.update(plainSlice, 0, n);
        sink.accept(plainSlice, 0, n);
      }
    }
    readFully(in, edge, CryptoKey.IV); // the tag
    if (!ivOk) {
      throw Repository.damagedBlob(pack, b, "all-zero IV");
    }
    if (!opener.macMatches(edge, 0)) {
      throw Repository.damagedBlob(pack, b, "MAC check failed");
    }
    checkId(pack, b);
  }

  private void readCompressed(ObjectId pack, PackedBlob b, InputStream in, Sink sink) throws IOException {
    if (sealed.length < b.length()) {
      sealed = new byte[b.length()];
    }
    readFully(in, sealed, b.length());
    int n;
    try {
      n = master.openInPlace(sealed, 0, b.length());
    } catch (CryptoKey.CiphertextException e) {
      throw Repository.damagedBlob(pack, b, e.getMessage());
    }
    if (zstd == null) {
      zstd = new ZstdDecompressCtx();
      zin = ByteBuffer.allocateDirect(SLICE);
      zout = ByteBuffer.allocateDirect(SLICE);
    }
    zstd.reset();
    sha.reset();
    int expected = b.uncompressedLength();
    long produced = 0;
    int next = CryptoKey.IV; // the plaintext (the zstd frame) starts after the IV
    int end = CryptoKey.IV + n;
    zin.clear().limit(0);
    try {
      while (true) {
        if (!zin.hasRemaining() && next < end) {
          int k = Math.min(SLICE, end - next);
          zin.clear();
          zin.put(sealed, next, k).flip();
          next += k;
        }
        zout.clear();
        boolean frameDone = zstd.decompressDirectByteBufferStream(zout, zin);
        zout.flip();
        int k = zout.remaining();
        if (produced + k > expected) {
          throw Repository.damagedBlob(pack, b, "invalid zstd data (longer than the " + expected + " bytes the index states)");
        }
        if (k > 0) {
          zout.get(plainSlice, 0, k);
          sha.update(plainSlice, 0, k);
          sink.accept(plainSlice, 0, k);
          produced += k;
        }
        boolean inputLeft = zin.hasRemaining() || next < end;
        if (frameDone && !inputLeft) {
          break;
        }
        if (!frameDone && !inputLeft && k == 0) {
          throw Repository.damagedBlob(pack, b, "invalid zstd data (the frame is cut short)");
        }
      }
    } catch (com.github.luben.zstd.ZstdException e) {
      throw Repository.damagedBlob(pack, b, "invalid zstd data");
    }
    if (produced != expected) {
      throw Repository.damagedBlob(pack, b, "invalid zstd data (" + produced + " bytes, the index states " + expected + ")");
    }
    checkId(pack, b);
  }

  private void checkId(ObjectId pack, PackedBlob b) {
    if (!MessageDigest.isEqual(sha.digest(), b.id().bytes())) {
      throw Repository.damagedBlob(pack, b, "content does not match its id");
    }
  }

  /** In reads of at most a slice: a file channel reads into an array through a native copy of each read's size, kept per thread. */
  private static void readFully(InputStream in, byte[] buf, int len) throws IOException {
    for (int done = 0; done < len; ) {
      int want = Math.min(SLICE, len - done);
      int got = in.readNBytes(buf, done, want);
      done += got;
      if (got != want) {
        throw new EOFException("the pack ends inside a blob");
      }
    }
  }

  @Override
  public void close() {
    if (zstd != null) {
      zstd.close();
      zstd = null;
    }
  }
}
