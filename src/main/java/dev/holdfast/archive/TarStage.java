package dev.holdfast.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes tar headers and content into the compressor on a thread of its own, so that the archive
 * writer's reading and hashing of the next files overlaps with tar and compression. Content travels
 * in a fixed set of reused buffers, which bounds the memory and lets reading run ahead by at most
 * {@link #BUFFERS} x {@link #BUFFER} bytes.
 */
final class TarStage {
  static final int BUFFER = 256 * 1024;
  static final int BUFFERS = 12;

  /** One step for the tar thread: a header, a filled buffer, the end of an entry, or the end. */
  private record Step(TarArchiveEntry header, byte[] bytes, int length, boolean closeEntry, boolean finish) {}

  private static final Step CLOSE_ENTRY = new Step(null, null, 0, true, false);
  private static final Step FINISH = new Step(null, null, 0, false, true);

  private final TarArchiveOutputStream tar;
  private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
  private final BlockingQueue<Step> steps = new ArrayBlockingQueue<>(4 * BUFFERS);
  private final Thread thread;
  private volatile Throwable failure;
  private volatile boolean finished;

  TarStage(TarArchiveOutputStream tar, String name) {
    this.tar = tar;
    for (int i = 0; i < BUFFERS; i++) {
      free.add(new byte[BUFFER]);
    }
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (true) {
        Step s = steps.take();
        if (failure == null) {
          try {
            if (s.header() != null) {
              tar.putArchiveEntry(s.header());
            } else if (s.bytes() != null) {
              tar.write(s.bytes(), 0, s.length());
            } else if (s.closeEntry()) {
              tar.closeArchiveEntry();
            } else if (s.finish()) {
              tar.close(); // end-of-archive blocks; finishes the compressor and the output below it
            }
          } catch (Throwable t) {
            // keep taking steps so the reading side never waits forever; it sees the failure next time
            failure = t;
          }
        }
        if (s.bytes() != null) {
          free.put(s.bytes());
        }
        if (s.finish()) {
          finished = true;
          return;
        }
      }
    } catch (InterruptedException e) {
      // aborted
    }
  }

  /** A free buffer to fill; hand it back with {@link #write} or {@link #release}. */
  byte[] buffer() throws IOException {
    while (true) {
      check();
      try {
        byte[] b = free.poll(100, TimeUnit.MILLISECONDS);
        if (b != null) {
          return b;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while writing the archive");
      }
    }
  }

  /** Returns a buffer from {@link #buffer()} that was not written. */
  void release(byte[] b) {
    free.add(b);
  }

  void putEntry(TarArchiveEntry header) throws IOException {
    put(new Step(header, null, 0, false, false));
  }

  /** Queues {@code length} bytes of {@code b} for the current entry; {@code b} is reused afterwards. */
  void write(byte[] b, int length) throws IOException {
    put(new Step(null, b, length, false, false));
  }

  void closeEntry() throws IOException {
    put(CLOSE_ENTRY);
  }

  /** Closes the tar stream (and the compressor under it) and waits for it. */
  void finish() throws IOException {
    put(FINISH);
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while finishing the archive");
    }
    check();
  }

  /** Stops the thread, leaving the tar stream as it is. Never throws. */
  void abort() {
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True once the thread is gone, so that its streams may be touched (closed) by another thread. */
  boolean stopped() {
    return !thread.isAlive();
  }

  private void put(Step s) throws IOException {
    try {
      while (true) {
        check();
        if (steps.offer(s, 100, TimeUnit.MILLISECONDS)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing the archive");
    }
  }

  private void check() throws IOException {
    Throwable t = failure;
    if (t instanceof IOException io) {
      throw io;
    }
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t != null) {
      throw new IOException(String.valueOf(t.getMessage()), t);
    }
    if (!thread.isAlive() && !finished) {
      throw new IOException("the archive's tar thread has stopped");
    }
  }
}
