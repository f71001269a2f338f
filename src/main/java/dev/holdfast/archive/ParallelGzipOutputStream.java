package dev.holdfast.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip compressor that uses several cores: input is cut into fixed blocks, each compressed on a
 * worker into a complete gzip member (RFC 1952 section 2.2 allows a file of several members), and
 * the members are written in order. {@code gzip -d} and {@code tar -xz} read the result as one
 * stream. Memory is bounded by (2 x threads + 1) blocks.
 */
final class ParallelGzipOutputStream extends OutputStream {
  static final int DEFAULT_BLOCK = 1 << 20;

  private final OutputStream out;
  private final int level;
  private final int blockSize;
  private final int maxInFlight;
  private final ExecutorService pool;
  private final ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
  private final ThreadLocal<Deflater> deflaters;
  private byte[] block;
  private int pos;
  private boolean closed;
  private boolean wroteAnything;

  ParallelGzipOutputStream(OutputStream out, int level, int threads, int blockSize) {
    this.out = out;
    this.level = level;
    this.blockSize = blockSize;
    int n = Math.max(1, threads);
    this.maxInFlight = 2 * n;
    this.pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "gzip-worker");
              t.setDaemon(true);
              return t;
            });
    this.deflaters = ThreadLocal.withInitial(() -> new Deflater(this.level, true));
    this.block = new byte[blockSize];
  }

  @Override
  public void write(int b) throws IOException {
    if (pos == blockSize) {
      submit();
    }
    block[pos++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (pos == blockSize) {
        submit();
      }
      int n = Math.min(len, blockSize - pos);
      System.arraycopy(b, off, block, pos, n);
      pos += n;
      off += n;
      len -= n;
    }
  }

  private void submit() throws IOException {
    if (pos == 0) {
      return;
    }
    final byte[] data = block;
    final int length = pos;
    wroteAnything = true;
    inFlight.add(pool.submit(() -> member(data, length)));
    block = new byte[blockSize];
    pos = 0;
    while (inFlight.size() >= maxInFlight) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    try {
      out.write(inFlight.poll().get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      throw new IOException("gzip compression failed", e.getCause());
    }
  }

  private byte[] member(byte[] data, int length) {
    Deflater d = deflaters.get();
    d.reset();
    d.setInput(data, 0, length);
    d.finish();
    ByteArrayOutputStream buf = new ByteArrayOutputStream(length / 2 + 64);
    // header: magic, deflate, no flags, no mtime, no extra flags, OS = Unix
    buf.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
    byte[] chunk = new byte[64 * 1024];
    while (!d.finished()) {
      int n = d.deflate(chunk);
      buf.write(chunk, 0, n);
    }
    CRC32 crc = new CRC32();
    crc.update(data, 0, length);
    writeIntLe(buf, (int) crc.getValue());
    writeIntLe(buf, length);
    return buf.toByteArray();
  }

  private static void writeIntLe(ByteArrayOutputStream b, int v) {
    b.write(v);
    b.write(v >>> 8);
    b.write(v >>> 16);
    b.write(v >>> 24);
  }

  /** Writes every pending member; the underlying stream stays open. */
  void finish() throws IOException {
    submit();
    while (!inFlight.isEmpty()) {
      writeOldest();
    }
    if (!wroteAnything) {
      // an empty input still needs one (empty) member to be a valid gzip file
      out.write(member(new byte[0], 0));
      wroteAnything = true;
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      finish();
      out.close();
    } finally {
      pool.shutdownNow();
    }
  }
}
