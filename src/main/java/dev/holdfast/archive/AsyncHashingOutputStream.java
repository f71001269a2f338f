package dev.holdfast.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Counts, SHA-256-hashes and writes the bytes passing through on a thread of its own, so that the
 * archive's checksum and the upload overlap with compression; a fixed set of reused buffers bounds
 * the memory. Closing it waits for every byte to be written but does not close the underlying
 * stream, so a chain of compressors can be closed without aborting the upload beneath it.
 */
final class AsyncHashingOutputStream extends OutputStream {
  static final int CHUNK = 256 * 1024;
  static final int CHUNKS = 8;

  /** A buffer and how much of it is filled; {@code length < 0} marks the end of the stream. */
  private static final class Chunk {
    final byte[] bytes;
    int length;

    Chunk(byte[] bytes) {
      this.bytes = bytes;
    }
  }

  private static final Chunk END = new Chunk(new byte[0]);

  private final OutputStream out;
  private final BlockingQueue<Chunk> free = new ArrayBlockingQueue<>(CHUNKS);
  private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(CHUNKS + 1);
  private final MessageDigest digest = Digests.sha256();
  private final Thread thread;
  private volatile Throwable failure;
  private volatile boolean aborted;
  private long count; // written by the thread, read after join()
  private Chunk current;
  private boolean closed;

  AsyncHashingOutputStream(OutputStream out, String name) {
    this.out = out;
    for (int i = 0; i < CHUNKS; i++) {
      free.add(new Chunk(new byte[CHUNK]));
    }
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (true) {
        Chunk c = full.take();
        if (c == END) {
          out.flush();
          return;
        }
        if (failure == null) {
          try {
            out.write(c.bytes, 0, c.length);
            digest.update(c.bytes, 0, c.length);
            count += c.length;
          } catch (Throwable t) {
            // keep taking chunks so the producer is never stuck; it sees the failure on its next write
            failure = t;
          }
        }
        c.length = 0;
        free.put(c);
      }
    } catch (InterruptedException e) {
      // aborted
    } catch (Throwable t) {
      if (failure == null) {
        failure = t;
      }
    }
  }

  @Override
  public void write(int b) throws IOException {
    if (current == null || current.length == CHUNK) {
      next();
    }
    current.bytes[current.length++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (current == null || current.length == CHUNK) {
        next();
      }
      int n = Math.min(len, CHUNK - current.length);
      System.arraycopy(b, off, current.bytes, current.length, n);
      current.length += n;
      off += n;
      len -= n;
    }
  }

  /** Hands the filled buffer to the thread and takes a free one. */
  private void next() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (current != null) {
      handOver(current);
      current = null;
    }
    Chunk c = null;
    while (c == null) {
      checkFailure();
      try {
        c = free.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while writing the archive");
      }
    }
    current = c;
  }

  private void handOver(Chunk c) throws IOException {
    checkFailure();
    try {
      while (!full.offer(c, 100, TimeUnit.MILLISECONDS)) {
        checkFailure();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing the archive");
    }
  }

  private void checkFailure() throws IOException {
    if (aborted) {
      throw new IOException("archive writing aborted");
    }
    Throwable t = failure;
    if (t == null) {
      if (!thread.isAlive()) {
        throw new IOException("archive writer thread ended unexpectedly");
      }
      return;
    }
    if (t instanceof IOException io) {
      throw io;
    }
    if (t instanceof RuntimeException r) {
      throw r;
    }
    throw new IOException(t.getMessage(), t);
  }

  /** The hashing and writing happen later on the thread: nothing to push through here. */
  @Override
  public void flush() {}

  /** Writes what is left and waits for the thread; the underlying stream stays open. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    try {
      if (current != null && current.length > 0) {
        handOver(current);
      }
      current = null;
      closed = true;
      handOver(END);
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new InterruptedIOException("interrupted while finishing the archive");
    } catch (IOException | RuntimeException e) {
      abort();
      throw e;
    }
    Throwable t = failure;
    if (t != null) {
      checkFailure();
    }
  }

  /** Stops the thread without writing what is pending; later writes fail. Never throws. */
  void abort() {
    aborted = true;
    closed = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Bytes written; valid after {@link #close()}. */
  long count() {
    return count;
  }

  /** SHA-256 of the bytes written, in hex; valid after {@link #close()}. */
  String hex() {
    return HexFormat.of().formatHex(digest.digest());
  }
}
