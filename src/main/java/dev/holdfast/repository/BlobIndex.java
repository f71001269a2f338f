package dev.holdfast.repository;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where every known blob lies, held in pages of parallel primitive arrays with an open-addressing
 * table of int slots (about 60 bytes per blob instead of several objects), since a large
 * repository holds millions of blobs. Pages, not one growing array: growing never copies what is
 * there, so loading 10 million blobs needs no second copy of them. Not thread-safe;
 * {@link Repository} guards it.
 */
final class BlobIndex {
  private static final int PAGE_BITS = 16;
  private static final int PAGE = 1 << PAGE_BITS;
  private static final int MASK = PAGE - 1;

  private final List<byte[]> ids = new ArrayList<>();
  private final List<byte[]> types = new ArrayList<>();
  private final List<int[]> packs = new ArrayList<>();
  private final List<long[]> offsets = new ArrayList<>();
  private final List<int[]> lengths = new ArrayList<>();
  private final List<int[]> uncompressed = new ArrayList<>();
  private int size;

  /** Slot i holds entry index + 1, or 0 when empty; at most 3/4 full. */
  private int[] table = new int[1024];

  private final List<ObjectId> packIds = new ArrayList<>();
  private final Map<ObjectId, Integer> packNumbers = new HashMap<>();

  int size() {
    return size;
  }

  int packCount() {
    return packIds.size();
  }

  /** Adds a blob unless the same (type, id) is known already; returns whether it was added. */
  boolean add(ObjectId pack, PackedBlob b) {
    if (find(b.type(), b.id()) >= 0) {
      return false;
    }
    if ((size & MASK) == 0 && size >> PAGE_BITS == ids.size()) {
      ids.add(new byte[PAGE * ObjectId.LENGTH]);
      types.add(new byte[PAGE]);
      packs.add(new int[PAGE]);
      offsets.add(new long[PAGE]);
      lengths.add(new int[PAGE]);
      uncompressed.add(new int[PAGE]);
    }
    int packNo = packNumbers.computeIfAbsent(pack, p -> {
      packIds.add(p);
      return packIds.size() - 1;
    });
    int page = size >>> PAGE_BITS;
    int i = size & MASK;
    b.id().copyTo(ids.get(page), i * ObjectId.LENGTH);
    types.get(page)[i] = (byte) b.type().ordinal();
    packs.get(page)[i] = packNo;
    offsets.get(page)[i] = b.offset();
    lengths.get(page)[i] = b.length();
    uncompressed.get(page)[i] = b.uncompressedLength();
    size++;
    if (size > table.length - (table.length >> 2)) {
      rehash(table.length * 2);
    } else {
      insert(size - 1);
    }
    return true;
  }

  boolean contains(BlobType type, ObjectId id) {
    return find(type, id) >= 0;
  }

  /** The pack and position of a blob. */
  Optional<Location> lookup(BlobType type, ObjectId id) {
    int e = find(type, id);
    if (e < 0) {
      return Optional.empty();
    }
    int page = e >>> PAGE_BITS;
    int i = e & MASK;
    return Optional.of(
        new Location(
            packIds.get(packs.get(page)[i]),
            new PackedBlob(type, id, offsets.get(page)[i], lengths.get(page)[i], uncompressed.get(page)[i])));
  }

  /** A blob and the pack holding it. */
  record Location(ObjectId pack, PackedBlob blob) {}

  private int find(BlobType type, ObjectId id) {
    byte[] key = id.bytes();
    int mask = table.length - 1;
    for (int slot = (int) mix(id.prefix()) & mask; ; slot = (slot + 1) & mask) {
      int e = table[slot];
      if (e == 0) {
        return -1;
      }
      int n = e - 1;
      int i = n & MASK;
      if (types.get(n >>> PAGE_BITS)[i] == type.ordinal()
          && Arrays.equals(ids.get(n >>> PAGE_BITS), i * ObjectId.LENGTH, (i + 1) * ObjectId.LENGTH, key, 0, ObjectId.LENGTH)) {
        return n;
      }
    }
  }

  private void insert(int n) {
    int mask = table.length - 1;
    int slot = (int) mix(prefixAt(n)) & mask;
    while (table[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    table[slot] = n + 1;
  }

  private long prefixAt(int n) {
    byte[] page = ids.get(n >>> PAGE_BITS);
    int base = (n & MASK) * ObjectId.LENGTH;
    long v = 0;
    for (int k = 0; k < 8; k++) {
      v = (v << 8) | (page[base + k] & 0xff);
    }
    return v;
  }

  /** Ids are hashes already, but hostile index files could choose them; mixing costs nothing. */
  private static long mix(long v) {
    v ^= v >>> 33;
    v *= 0xff51afd7ed558ccdL;
    v ^= v >>> 33;
    return v;
  }

  private void rehash(int capacity) {
    table = null; // let the old table go before the new one is allocated
    table = new int[capacity];
    for (int n = 0; n < size; n++) {
      insert(n);
    }
  }
}
