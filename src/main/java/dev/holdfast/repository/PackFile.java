package dev.holdfast.repository;

import dev.holdfast.backend.Backend;
import dev.holdfast.error.HoldfastException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The pack file layout of design.rst "Pack Format": sealed blobs back to back, then the sealed
 * header listing them (type, sealed length, for compressed blobs the plaintext length, id), then
 * the header's length as a 32-bit little-endian integer.
 */
public final class PackFile {
  /** restic refuses larger headers too; it bounds what a damaged length field can make us read. */
  static final int MAX_HEADER = 16 << 20;

  /** A blob is at most restic's 8 MiB maximum chunk; allow room for trees and compression overhead. */
  static final int MAX_BLOB = 64 << 20;

  private static final int PLAIN_ENTRY = 1 + 4 + 32;
  private static final int COMPRESSED_ENTRY = 1 + 4 + 4 + 32;

  private PackFile() {}

  /** A sealed blob still in a pack being built. */
  record Sealed(PackedBlob blob, byte[] bytes) {}

  /** Blob {@code b} as copied whole ({@code copied} bytes) to offset {@code at} of a pack whose list is {@code blobs}: added to it. */
  static PackedBlob copiedTo(PackedBlob b, long copied, long at, List<PackedBlob> blobs) {
    if (copied != b.length()) {
      throw new IllegalStateException("copied " + copied + " bytes of a blob of " + b.length());
    }
    var added = new PackedBlob(b.type(), b.id(), at, b.length(), b.uncompressedLength());
    blobs.add(added);
    return added;
  }

  /** Feeds a sealed blob's bytes to {@link DataPack#append}, in order. */
  @FunctionalInterface
  interface SealedCopy {
    void run() throws IOException;
  }

  /** A pack stored under its name, the hash of its {@code length} bytes. */
  record Stored(ObjectId id, List<PackedBlob> blobs, long length) {}

  /**
   * A data pack a backup worker fills blob by blob: in memory ({@link Buffer}, put whole) or written
   * as it is built ({@link PackSpool}). Used by one thread at a time.
   */
  interface DataPack {
    /**
     * The pack a backup or prune writes into {@code backend}: written as it is built where the
     * backend can name it afterwards (a local directory: no pack in memory), else built in memory
     * and put whole.
     */
    static DataPack on(Backend backend, CryptoKey key, int capacity) {
      return backend.namesObjectsAfterWriting() ? new PackSpool(backend, key, capacity) : new Buffer(key, capacity, backend);
    }

    /** The pack size aimed at: a pack is stored when the next blob might not fit. */
    int capacity();

    /** Whether a blob of {@code len} plaintext bytes surely fits; an empty pack takes any blob. */
    default boolean fits(int len, boolean compress) {
      return fitsSealed(Buffer.sealedBound(len, compress));
    }

    /** Compresses (when {@code compress} and the data does not look incompressible) and seals a blob onto the pack. */
    PackedBlob add(BlobType type, ObjectId id, byte[] plain, int off, int len, boolean compress);

    /** The pack's length so far: its blobs, sealed. */
    long bytes();

    /** The blobs added so far, in pack order (the pack's own list). */
    List<PackedBlob> entries();

    default int count() {
      return entries().size();
    }

    default List<PackedBlob> blobs() {
      return List.copyOf(entries());
    }

    /** Where in this pack blob {@code id} of {@code type} was added. */
    default Optional<PackedBlob> entry(BlobType type, ObjectId id) {
      for (PackedBlob b : entries()) {
        if (b.type() == type && b.id().equals(id)) {
          return Optional.of(b);
        }
      }
      return Optional.empty();
    }

    /** A blob added to this pack, for reading it back before the pack is stored. */
    Optional<Sealed> find(BlobType type, ObjectId id);

    /** Whether a blob already sealed into {@code sealedLen} bytes surely fits; an empty pack takes any blob. */
    default boolean fitsSealed(int sealedLen) {
      return bytes() == 0 || bytes() + sealedLen + Buffer.trailerBound(count() + 1) <= capacity();
    }

    /**
     * Appends blob {@code b} as another pack stores it, its {@code b.length()} sealed bytes given in
     * pieces to {@link #append} by {@code copy} (a prune copies a blob as it reads it): a sealed blob
     * carries its own IV and MAC, so it is valid in any pack. Call only if {@link #fitsSealed}.
     */
    PackedBlob addSealed(PackedBlob b, SealedCopy copy) throws IOException;

    /** The bytes of a blob being added by {@link #addSealed}. */
    void append(byte[] src, int off, int len) throws IOException;

    /** Adds the header, stores the pack under its hash (an object of that name holds these bytes already: done) and empties it. */
    Stored store();

    /** Empties the pack; what was written of it is discarded. */
    void reset();
  }

  /**
   * Builds one pack in memory from blobs sealed elsewhere (by the repository's workers); packs are
   * a few MiB, and their id is the hash of the whole file. Not thread-safe.
   */
  static final class Writer {
    private final List<PackedBlob> blobs = new ArrayList<>();
    private final List<byte[]> sealed = new ArrayList<>();
    private final CryptoKey key;
    private final boolean compress;
    private int size;

    Writer(CryptoKey key) {
      this(key, false);
    }

    /** {@code compress}: whether {@link #add(BlobType, ObjectId, byte[])} compresses. */
    Writer(CryptoKey key, boolean compress) {
      this.key = key;
      this.compress = compress;
    }

    /** Seals (and compresses, if this writer does) and appends one blob. */
    PackedBlob add(BlobType type, ObjectId id, byte[] plain) {
      Sealed s = seal(key, type, id, plain, compress);
      return add(type, id, s.bytes(), s.blob().uncompressedLength());
    }

    /** Appends a blob sealed (and compressed when {@code uncompressedLength > 0}) by {@link #seal}. */
    PackedBlob add(BlobType type, ObjectId id, byte[] sealedBlob, int uncompressedLength) {
      var b = new PackedBlob(type, id, size, sealedBlob.length, uncompressedLength);
      sealed.add(sealedBlob);
      blobs.add(b);
      size += sealedBlob.length;
      return b;
    }

    /** A blob added to this pack, for reading it back before the pack is uploaded. */
    Optional<Sealed> find(BlobType type, ObjectId id) {
      for (int i = 0; i < blobs.size(); i++) {
        PackedBlob b = blobs.get(i);
        if (b.type() == type && b.id().equals(id)) {
          return Optional.of(new Sealed(b, sealed.get(i)));
        }
      }
      return Optional.empty();
    }

    int size() {
      return size;
    }

    int count() {
      return blobs.size();
    }

    List<PackedBlob> blobs() {
      return List.copyOf(blobs);
    }

    /** Appends the header and its length; returns the complete pack file. */
    byte[] finish() {
      byte[] trailer = trailer(key, blobs);
      byte[] pack = new byte[Math.addExact(size, trailer.length)];
      int p = 0;
      for (byte[] part : sealed) {
        System.arraycopy(part, 0, pack, p, part.length);
        p += part.length;
      }
      sealed.clear(); // the pack holds them now; let them go before the upload
      System.arraycopy(trailer, 0, pack, p, trailer.length);
      return pack;
    }

    /** The sealed header listing {@code blobs}, then its length as a 32-bit little-endian integer. */
    static byte[] trailer(CryptoKey key, List<PackedBlob> blobs) {
      var header = new ByteArrayOutputStream(blobs.size() * COMPRESSED_ENTRY);
      byte[] le = new byte[4];
      for (PackedBlob b : blobs) {
        int typeByte = (b.type() == BlobType.DATA ? 0 : 1) + (b.compressed() ? 2 : 0);
        header.write(typeByte);
        putLe(le, b.length());
        header.writeBytes(le);
        if (b.compressed()) {
          putLe(le, b.uncompressedLength());
          header.writeBytes(le);
        }
        header.writeBytes(b.id().bytes());
      }
      byte[] sealedHeader = key.seal(header.toByteArray());
      byte[] trailer = Arrays.copyOf(sealedHeader, sealedHeader.length + 4);
      putLe(le, sealedHeader.length);
      System.arraycopy(le, 0, trailer, sealedHeader.length, 4);
      return trailer;
    }
  }

  /**
   * Builds data packs in one reusable array: each blob is compressed straight into it and encrypted
   * in place, and the pack is written out from it, so a backup allocates no per-blob or per-pack
   * arrays (which the collector would otherwise promote and keep as resident memory). Its blobs
   * are added by one thread at a time; not thread-safe.
   */
  static final class Buffer implements DataPack {
    private final List<PackedBlob> blobs = new ArrayList<>();
    private final CryptoKey key;
    private final int capacity;
    private byte[] buf;
    private int size;

    private final Backend backend;

    /** {@code capacity}: the pack size aimed at; a pack is stored when the next blob might not fit. */
    Buffer(CryptoKey key, int capacity, Backend backend) {
      this.key = key;
      this.capacity = capacity;
      this.backend = backend;
    }

    @Override
    public long bytes() {
      return size;
    }

    @Override
    public Stored store() {
      List<PackedBlob> stored = blobs();
      int length = finish();
      ObjectId packId = ObjectId.hash(buf, 0, length);
      String key = Repository.packKeyOf(packId);
      try {
        backend.put(key, buf, 0, length);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // Named by content hash: an object under this name already holds these bytes.
      } catch (IOException e) {
        throw HoldfastException.io("storing " + key + " in " + backend.location(), e);
      }
      reset();
      return new Stored(packId, stored, length);
    }

    /** The most a blob of {@code len} plaintext bytes takes in a pack. */
    static int sealedBound(int len, boolean compress) {
      return Math.addExact(compress ? (int) com.github.luben.zstd.Zstd.compressBound(len) : len, CryptoKey.OVERHEAD);
    }

    /** The most the sealed header of {@code count} blobs and its length field take. */
    static int trailerBound(int count) {
      return Math.addExact(Math.multiplyExact(count, COMPRESSED_ENTRY), CryptoKey.OVERHEAD + 4);
    }

    @Override
    public int capacity() {
      return capacity;
    }

    /**
     * Compresses (when {@code compress} and the data does not look incompressible) and seals
     * {@code plain[off, off + len)} onto the end of the pack; call only if {@link #fits}.
     */
    @Override
    public PackedBlob add(BlobType type, ObjectId id, byte[] plain, int off, int len, boolean compress) {
      compress = compress && len > 0 && !ZstdFrames.looksIncompressible(plain, off, len);
      int need = Math.addExact(size + sealedBound(len, compress), trailerBound(blobs.size() + 1));
      if (buf == null || need > buf.length) {
        // Only a first blob larger than the pack size (tests use small packs) grows the array.
        buf = Arrays.copyOf(buf == null ? new byte[0] : buf, Math.max(capacity, need));
      }
      int sealedLen;
      int uncompressed = 0;
      if (compress) {
        int z = ZstdFrames.compress(plain, off, len, buf, size + CryptoKey.IV, buf.length - size - CryptoKey.IV);
        sealedLen = key.sealInto(buf, size + CryptoKey.IV, z, buf, size);
        uncompressed = len;
      } else {
        sealedLen = key.sealInto(plain, off, len, buf, size);
      }
      var b = new PackedBlob(type, id, size, sealedLen, uncompressed);
      blobs.add(b);
      size += sealedLen;
      return b;
    }


    private int copyAt = -1;

    @Override
    public PackedBlob addSealed(PackedBlob b, SealedCopy copy) throws IOException {
      int need = Math.addExact(size + b.length(), trailerBound(blobs.size() + 1));
      if (buf == null || need > buf.length) {
        // grown as needed (a pack of a few trees stays small), doubling up to the pack size
        int grown = buf == null ? 1 << 20 : (int) Math.min(2L * buf.length, capacity);
        buf = Arrays.copyOf(buf == null ? new byte[0] : buf, Math.max(grown, need));
      }
      copyAt = size;
      int copied;
      try {
        copy.run();
        copied = copyAt - size;
      } finally {
        copyAt = -1; // a failed copy adds nothing: the bytes after size are overwritten by the next blob
      }
      PackedBlob added = copiedTo(b, copied, size, blobs);
      size += b.length();
      return added;
    }

    @Override
    public void append(byte[] src, int off, int len) {
      if (copyAt < 0 || (long) copyAt + len > buf.length) {
        throw new IllegalStateException("append outside addSealed, or beyond its blob");
      }
      System.arraycopy(src, off, buf, copyAt, len);
      copyAt += len;
    }

    @Override
    public List<PackedBlob> entries() {
      return blobs;
    }

    @Override
    public Optional<Sealed> find(BlobType type, ObjectId id) {
      return entry(type, id).map(b -> new Sealed(b, Arrays.copyOfRange(buf, (int) b.offset(), (int) b.offset() + b.length())));
    }

    /**
     * Appends the sealed header and its length field after the blobs (room for them was kept);
     * returns the length of the complete pack file, {@code buf[0, length)}.
     */
    private int finish() {
      byte[] trailer = Writer.trailer(key, blobs);
      System.arraycopy(trailer, 0, buf, size, trailer.length);
      return size + trailer.length;
    }

    /** Empties the pack for reuse; an array grown for an oversized blob is let go. */
    @Override
    public void reset() {
      blobs.clear();
      size = 0;
      if (buf != null && buf.length > capacity) {
        buf = null;
      }
    }
  }

  /**
   * A blob as a pack stores it: compressed into one zstd frame when {@code compress} (and not
   * empty: a length of 0 means "uncompressed"), then sealed.
   */
  static Sealed seal(CryptoKey key, BlobType type, ObjectId id, byte[] plain, boolean compress) {
    if (compress && plain.length > 0) {
      byte[] z = new byte[(int) com.github.luben.zstd.Zstd.compressBound(plain.length)];
      byte[] sealed = key.seal(z, 0, ZstdFrames.compress(plain, 0, plain.length, z));
      return new Sealed(new PackedBlob(type, id, 0, sealed.length, plain.length), sealed);
    }
    byte[] sealed = key.seal(plain);
    return new Sealed(new PackedBlob(type, id, 0, sealed.length, 0), sealed);
  }

  /**
   * Reads and checks the header of pack {@code key} of {@code size} bytes: every length bounded,
   * the blobs exactly filling the space before the header.
   */
  public static List<PackedBlob> readHeader(Backend backend, String key, long size, CryptoKey master) {
    String what = "pack " + key;
    if (size < 4 + CryptoKey.OVERHEAD) {
      throw GoJson.damaged(what, "too small for a pack (" + size + " bytes)");
    }
    byte[] tail = read(backend, key, size - 4, 4, what);
    long headerLen = Integer.toUnsignedLong(getLe(tail, 0));
    if (headerLen < CryptoKey.OVERHEAD || headerLen > MAX_HEADER || headerLen > size - 4) {
      throw GoJson.damaged(what, "invalid header length " + headerLen);
    }
    byte[] sealed = read(backend, key, size - 4 - headerLen, (int) headerLen, what);
    byte[] header;
    try {
      header = master.open(sealed);
    } catch (CryptoKey.CiphertextException e) {
      throw GoJson.damaged(what, "header " + e.getMessage());
    }
    return parseHeader(header, size - 4 - headerLen, what);
  }

  static List<PackedBlob> parseHeader(byte[] header, long dataEnd, String what) {
    var blobs = new ArrayList<PackedBlob>();
    long offset = 0;
    int p = 0;
    while (p < header.length) {
      int type = header[p];
      boolean compressed = type == 2 || type == 3;
      if (type < 0 || type > 3) {
        throw GoJson.damaged(what, "unknown blob type " + (type & 0xff) + " in header");
      }
      int entry = compressed ? COMPRESSED_ENTRY : PLAIN_ENTRY;
      if (header.length - p < entry) {
        throw GoJson.damaged(what, "truncated header entry");
      }
      long length = Integer.toUnsignedLong(getLe(header, p + 1));
      long uncompressed = compressed ? Integer.toUnsignedLong(getLe(header, p + 5)) : 0;
      if (length < CryptoKey.OVERHEAD || length > MAX_BLOB || uncompressed > MAX_BLOB) {
        throw GoJson.damaged(what, "invalid blob length in header");
      }
      if (compressed && uncompressed == 0) {
        throw GoJson.damaged(what, "compressed blob without a length");
      }
      ObjectId id = ObjectId.of(header, p + entry - 32);
      BlobType bt = (type & 1) == 0 ? BlobType.DATA : BlobType.TREE;
      blobs.add(new PackedBlob(bt, id, offset, (int) length, (int) uncompressed));
      offset += length;
      p += entry;
    }
    if (offset != dataEnd) {
      throw GoJson.damaged(
          what, "header lists " + offset + " bytes of blobs but the pack holds " + dataEnd);
    }
    return blobs;
  }

  /** Reads exactly {@code len} bytes at {@code offset}; a short object is damage, an I/O error is not. */
  static byte[] read(Backend backend, String key, long offset, int len, String what) {
    byte[] b = new byte[len];
    readInto(backend, key, offset, len, b, what);
    return b;
  }

  /** Like {@link #read}, into {@code buf[0, len)} (a buffer reused across objects). */
  static void readInto(Backend backend, String key, long offset, int len, byte[] buf, String what) {
    try (InputStream in = backend.open(key, offset, len)) {
      if (in.readNBytes(buf, 0, len) != len) {
        throw GoJson.damaged(what, "truncated (wanted " + len + " bytes at offset " + offset + ")");
      }
    } catch (IOException e) {
      throw HoldfastException.io("reading " + key + " from " + backend.location(), e);
    }
  }


  static void putLe(byte[] b, int v) {
    b[0] = (byte) v;
    b[1] = (byte) (v >>> 8);
    b[2] = (byte) (v >>> 16);
    b[3] = (byte) (v >>> 24);
  }

  static int getLe(byte[] b, int off) {
    return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
  }
}
