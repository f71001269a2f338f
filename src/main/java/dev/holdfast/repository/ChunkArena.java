package dev.holdfast.repository;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * One array, used as a ring, that holds the chunks a backup has handed to its workers and they
 * have not sealed yet. Chunks are copied in back to back and freed in any order (the space of the
 * oldest one still in use bounds what can be reused), so a gigabyte of chunk copies costs no
 * garbage, and the memory of the queue is exactly this array. Thread-safe.
 */
final class ChunkArena {
  /** A chunk's place in the ring; {@code done} once its worker gave it back. */
  private static final class Slot {
    final int off;
    final int end;
    boolean done;

    Slot(int off, int end) {
      this.off = off;
      this.end = end;
    }
  }

  private final int capacity;
  private byte[] ring;
  private final ArrayDeque<Slot> inUse = new ArrayDeque<>(); // in ring order, oldest first
  private int tail; // where the next chunk goes, unless it has to wrap around to 0
  private boolean wrapped; // the newest chunks lie before the oldest: free space is [tail, oldest)

  /** {@code capacity}: at least the largest chunk. */
  ChunkArena(int capacity) {
    this.capacity = capacity;
  }

  /** The ring array: a chunk taken at offset {@code o} lies at {@code array()[o, o + len)}. */
  synchronized byte[] array() {
    if (ring == null) {
      ring = new byte[capacity];
    }
    return ring;
  }

  /**
   * Copies {@code src[off, off + len)} into the ring, waiting until there is room; returns its
   * offset in {@link #array()}.
   */
  synchronized int put(byte[] src, int off, int len) throws InterruptedException {
    int at;
    while ((at = tryPut(src, off, len)) < 0) {
      wait();
    }
    return at;
  }

  /** Like {@link #put} but returns -1 instead of waiting when there is no room now. */
  synchronized int tryPut(byte[] src, int off, int len) {
    if (len > capacity) {
      throw new IllegalArgumentException("chunk of " + len + " bytes exceeds the arena of " + capacity);
    }
    byte[] r = array();
    int at = place(len);
    if (at < 0) {
      return -1;
    }
    if (at < tail || (at == 0 && !inUse.isEmpty())) {
      wrapped = true;
    }
    inUse.addLast(new Slot(at, at + len));
    tail = at + len;
    System.arraycopy(src, off, r, at, len);
    return at;
  }

  /** Where {@code len} bytes fit now, or -1. */
  private int place(int len) {
    if (inUse.isEmpty()) {
      return 0;
    }
    int head = inUse.peekFirst().off;
    if (!wrapped) {
      // free space is [tail, capacity) and then [0, head)
      if (capacity - tail >= len) {
        return tail;
      }
      return len <= head ? 0 : -1;
    }
    // wrapped: free space is [tail, head)
    return head - tail >= len ? tail : -1;
  }

  /** Frees the chunk at {@code offset}. */
  synchronized void release(int offset) {
    for (Iterator<Slot> it = inUse.iterator(); it.hasNext(); ) {
      Slot s = it.next();
      if (s.off == offset && !s.done) {
        s.done = true;
        break;
      }
    }
    while (!inUse.isEmpty() && inUse.peekFirst().done) {
      Slot gone = inUse.removeFirst();
      if (!inUse.isEmpty() && inUse.peekFirst().off < gone.off) {
        wrapped = false; // the oldest chunk is now one of those placed after the wrap
      }
    }
    if (inUse.isEmpty()) {
      tail = 0;
      wrapped = false;
    }
    notifyAll();
  }

  /** Lets the array go (the arena makes a new one if used again). */
  synchronized void clear() {
    if (inUse.isEmpty()) {
      ring = null;
    }
  }
}
