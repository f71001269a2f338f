package dev.holdfast.repository;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where every known blob lies, held in parallel primitive arrays with an open-addressing table of
 * int slots (about 60 bytes per blob instead of several objects), since a large repository holds
 * millions of blobs. Not thread-safe; {@link Repository} guards it.
 */
final class BlobIndex {
  private byte[] ids = new byte[ObjectId.LENGTH * 1024];
  private byte[] types = new byte[1024];
  private int[] packs = new int[1024];
  private long[] offsets = new long[1024];
  private int[] lengths = new int[1024];
  private int[] uncompressed = new int[1024];
  private int size;

  /** Slot i holds entry index + 1, or 0 when empty. */
  private int[] table = new int[2048];

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
    if (size == types.length) {
      grow();
    }
    int packNo = packNumbers.computeIfAbsent(pack, p -> {
      packIds.add(p);
      return packIds.size() - 1;
    });
    b.id().copyTo(ids, size * ObjectId.LENGTH);
    types[size] = (byte) b.type().ordinal();
    packs[size] = packNo;
    offsets[size] = b.offset();
    lengths[size] = b.length();
    uncompressed[size] = b.uncompressedLength();
    size++;
    if (size * 2 > table.length) {
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
    int i = find(type, id);
    if (i < 0) {
      return Optional.empty();
    }
    return Optional.of(
        new Location(
            packIds.get(packs[i]),
            new PackedBlob(type, id, offsets[i], lengths[i], uncompressed[i])));
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
      int i = e - 1;
      if (types[i] == type.ordinal()
          && Arrays.equals(ids, i * ObjectId.LENGTH, (i + 1) * ObjectId.LENGTH, key, 0, ObjectId.LENGTH)) {
        return i;
      }
    }
  }

  private void insert(int i) {
    int mask = table.length - 1;
    int slot = (int) mix(prefixAt(i)) & mask;
    while (table[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    table[slot] = i + 1;
  }

  private long prefixAt(int i) {
    long v = 0;
    for (int k = 0; k < 8; k++) {
      v = (v << 8) | (ids[i * ObjectId.LENGTH + k] & 0xff);
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
    table = new int[capacity];
    for (int i = 0; i < size; i++) {
      insert(i);
    }
  }

  private void grow() {
    int cap = types.length * 2;
    ids = Arrays.copyOf(ids, cap * ObjectId.LENGTH);
    types = Arrays.copyOf(types, cap);
    packs = Arrays.copyOf(packs, cap);
    offsets = Arrays.copyOf(offsets, cap);
    lengths = Arrays.copyOf(lengths, cap);
    uncompressed = Arrays.copyOf(uncompressed, cap);
  }
}
