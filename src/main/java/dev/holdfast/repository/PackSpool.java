package dev.holdfast.repository;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.UnnamedWriter;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A data pack written to its target blob by blob as it is built (as restic writes packs to
 * temporary files), for backends that can name an object once it is written ({@link
 * Backend#createUnnamed}): a local directory. A backup's worker then holds no pack in memory (16
 * MiB each) but one compressed blob at most, and an incompressible blob not even that: it is
 * encrypted from the chunk arena in 256 KiB slices. The pack's hash, its name, is computed as it is
 * written. Used by one thread at a time; not thread-safe.
 */
final class PackSpool implements PackFile.DataPack {
  private static final int SLICE = 256 << 10;

  private final Backend backend;
  private final CryptoKey key;
  private final int capacity;
  private final CryptoKey.Streaming sealer;
  private final List<PackedBlob> blobs = new ArrayList<>();
  private final MessageDigest hash = ObjectId.sha256();
  private final byte[] slice = new byte[SLICE];
  private final byte[] iv = new byte[CryptoKey.IV];
  private final byte[] tag = new byte[16];
  /** A compressed blob, sealed: grown as needed (compressible data: a fraction of the chunk). */
  private byte[] scratch = new byte[1 << 20];
  private UnnamedWriter out;
  private long size;

  PackSpool(Backend backend, CryptoKey key, int capacity) {
    this.backend = backend;
    this.key = key;
    this.capacity = capacity;
    this.sealer = key.streaming();
  }

  @Override
  public int capacity() {
    return capacity;
  }

  @Override
  public PackedBlob add(BlobType type, ObjectId id, byte[] plain, int off, int len, boolean compress) {
    compress = compress && len > 0 && !ZstdFrames.looksIncompressible(plain, off, len);
    try {
      ensureOpen();
      int sealedLen;
      if (compress) {
        int z;
        try {
          // compressible data takes a fraction of its length: the scratch grows only for a chunk
          // that compresses little (a new zeroed array is resident memory at once)
          z = ZstdFrames.compress(plain, off, len, scratch, CryptoKey.IV, scratch.length - CryptoKey.OVERHEAD);
        } catch (com.github.luben.zstd.ZstdException e) {
          int bound = PackFile.Buffer.sealedBound(len, true);
          if (scratch.length >= bound) {
            throw e;
          }
          // at least twofold, so a run of ever larger chunks leaves few dead arrays behind (in the
          // old generation they stay resident until a full collection)
          scratch = new byte[Math.max(bound, Math.min(2 * scratch.length, PackFile.Buffer.sealedBound(Chunker.MAX_SIZE, true)))];
          z = ZstdFrames.compress(plain, off, len, scratch, CryptoKey.IV, scratch.length - CryptoKey.OVERHEAD);
        }
        sealedLen = key.sealInto(scratch, CryptoKey.IV, z, scratch, 0);
        write(scratch, 0, sealedLen);
      } else {
        CryptoKey.newIv(iv);
        sealer.begin(iv);
        write(iv, 0, iv.length);
        for (int done = 0; done < len; done += SLICE) {
          int n = Math.min(SLICE, len - done);
          sealer.seal(plain, off + done, n, slice, 0);
          write(slice, 0, n);
        }
        sealer.tag(tag, 0);
        write(tag, 0, tag.length);
        sealedLen = len + CryptoKey.OVERHEAD;
      }
      var b = new PackedBlob(type, id, size, sealedLen, compress ? len : 0);
      blobs.add(b);
      size += sealedLen;
      return b;
    } catch (IOException e) {
      throw HoldfastException.io("writing a pack in " + backend.location(), e);
    }
  }

  private void ensureOpen() throws IOException {
    if (out == null) {
      out = backend.createUnnamed("data").orElseThrow(() -> new IllegalStateException("backend cannot spool packs"));
    }
  }

  private boolean copying;
  private long copied;
  /** A copy failed part way: the file holds part of a blob, so this pack is not stored. */
  private boolean broken;

  @Override
  public PackedBlob addSealed(PackedBlob b, PackFile.SealedCopy copy) throws IOException {
    ensureOpen();
    copying = true;
    copied = 0;
    boolean done = false;
    try {
      copy.run();
      done = copied == b.length();
    } finally {
      copying = false;
      broken |= !done; // a short copy too: copiedTo throws for it below
    }
    PackedBlob added = PackFile.copiedTo(b, copied, size, blobs);
    size += b.length();
    return added;
  }

  @Override
  public void append(byte[] src, int off, int len) {
    if (!copying) {
      throw new IllegalStateException("append outside addSealed");
    }
    try {
      write(src, off, len);
    } catch (IOException e) { // not the reading side's failure (a prune copies through a tee): say so
      throw HoldfastException.io("writing a pack in " + backend.location(), e);
    }
    copied += len;
  }

  /** In slices: a file channel writes an array through a native copy of each write's size, kept per thread. */
  private void write(byte[] b, int off, int len) throws IOException {
    hash.update(b, off, len);
    for (int done = 0; done < len; done += SLICE) {
      out.write(b, off + done, Math.min(SLICE, len - done));
    }
  }

  @Override
  public long bytes() {
    return size;
  }

  @Override
  public List<PackedBlob> entries() {
    return blobs;
  }

  @Override
  public Optional<PackFile.Sealed> find(BlobType type, ObjectId id) {
    Optional<PackedBlob> b = entry(type, id);
    if (b.isEmpty()) {
      return Optional.empty();
    }
    byte[] sealed = new byte[b.get().length()];
    try {
      out.readBack(b.get().offset(), sealed, 0, sealed.length);
    } catch (IOException e) {
      throw HoldfastException.io("reading back a pack being written in " + backend.location(), e);
    }
    return Optional.of(new PackFile.Sealed(b.get(), sealed));
  }

  @Override
  public PackFile.Stored store() {
    if (broken) {
      throw new IllegalStateException("a blob copy into this pack failed part way; it cannot be stored");
    }
    byte[] trailer = PackFile.Writer.trailer(key, blobs);
    long length = size + trailer.length;
    ObjectId packId;
    String name;
    try {
      write(trailer, 0, trailer.length);
      packId = ObjectId.of(hash.digest());
      name = Repository.packKeyOf(packId);
      try {
        out.commit(name);
      } catch (FileAlreadyExistsException e) {
        // Named by content hash: an object under this name already holds these bytes.
      }
    } catch (IOException e) {
      throw HoldfastException.io("storing a pack in " + backend.location(), e);
    }
    var stored = new PackFile.Stored(packId, List.copyOf(blobs), length);
    reset();
    return stored;
  }

  @Override
  public void reset() {
    if (out != null) {
      out.close(); // a committed pack stays; an unfinished one is deleted
      out = null;
    }
    blobs.clear();
    size = 0;
    hash.reset();
    broken = false;
    if (scratch.length > (8 << 20) + (1 << 20)) {
      scratch = new byte[1 << 20]; // grown for an oversized blob (a test's, or a huge tree): let it go
    }
  }
}
