package dev.holdfast.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A compressor on several cores: input is cut into fixed blocks, each compressed on a worker into a
 * self-contained piece (gzip members, zstd frames), and the pieces are written in input order. Blocks
 * and their buffers are allocated once and reused, so memory is bounded by the blocks in flight.
 */
abstract class ParallelBlockOutputStream<B extends ParallelBlockOutputStream.Block> extends OutputStream {

  /** One block's input and output buffers, reused from block to block. */
  static class Block {
    final byte[] in;
    int inLength;
    byte[] out;
    int outLength;
    Future<?> done;

    Block(int blockSize, int outCapacity) {
      in = new byte[blockSize];
      out = new byte[outCapacity];
    }
  }

  private final OutputStream out;
  private final String format;
  private final int blockSize;
  private final int maxInFlight;
  private final Supplier<B> newBlock;
  private final ExecutorService pool;
  private final ArrayDeque<B> inFlight = new ArrayDeque<>();
  private final ArrayDeque<B> free = new ArrayDeque<>();
  private final List<B> all = new ArrayList<>();
  private B current;
  private boolean wroteAnything;
  private boolean closed;

  /**
   * @param format names the workers and failures ("gzip", "zstd")
   * @param maxInFlight blocks handed to workers before the oldest is waited for and written
   * @param newBlock makes a block of {@code blockSize} with what its compression needs
   */
  ParallelBlockOutputStream(OutputStream out, String format, int threads, int blockSize, int maxInFlight,
      Supplier<B> newBlock) {
    this.out = out;
    this.format = format;
    this.blockSize = blockSize;
    this.maxInFlight = maxInFlight;
    this.newBlock = newBlock;
    this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
      Thread t = new Thread(r, format + "-worker");
      t.setDaemon(true);
      return t;
    });
    this.current = nextBlock();
  }

  /** Compresses {@code block.in[0, inLength)} into {@code block.out[0, outLength)}, on a worker. */
  abstract void compress(B block);

  /** Frees what a block holds outside the heap, once no worker uses it. */
  abstract void release(B block);

  private B nextBlock() {
    B b = free.poll();
    if (b == null) {
      b = newBlock.get();
      all.add(b);
    }
    b.inLength = 0;
    b.outLength = 0;
    return b;
  }

  @Override
  public void write(int b) throws IOException {
    if (current.inLength == blockSize) {
      submit();
    }
    current.in[current.inLength++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (current.inLength == blockSize) {
        submit();
      }
      int n = Math.min(len, blockSize - current.inLength);
      System.arraycopy(b, off, current.in, current.inLength, n);
      current.inLength += n;
      off += n;
      len -= n;
    }
  }

  private void submit() throws IOException {
    hand(current);
    current = nextBlock();
  }

  private void hand(B block) throws IOException {
    wroteAnything = true;
    block.done = pool.submit(() -> compress(block));
    inFlight.add(block);
    while (inFlight.size() >= maxInFlight) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    B block = inFlight.poll();
    try {
      block.done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      throw new IOException(format + " compression failed: " + e.getCause().getMessage(), e.getCause());
    }
    out.write(block.out, 0, block.outLength);
    free.add(block);
  }

  /** Writes every pending piece; the underlying stream stays open. An empty input still gets one (empty) piece. */
  void finish() throws IOException {
    if (current != null && (!wroteAnything || current.inLength > 0)) {
      hand(current);
    }
    current = null; // nothing may be written after this
    while (!inFlight.isEmpty()) {
      writeOldest();
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
      try {
        // a worker may still be compressing after a failure: free native memory only once it is done
        pool.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (pool.isTerminated()) {
        all.forEach(this::release);
      }
    }
  }
}
