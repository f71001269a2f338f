package dev.holdfast.archive;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
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

/**
 * A Zstandard compressor that uses several cores: input is cut into large blocks, each compressed
 * on a worker into a complete, independent frame, and the frames are written in order. RFC 8878
 * section 3.1 lets a file hold several frames, which {@code zstd -d} and {@code tar -I zstd} decode
 * one after another as one stream. Memory is bounded by (threads + 2) blocks of input and as many
 * of output, each allocated once and reused.
 *
 * <p>zstd's own multi-threaded mode (what {@code zstd -T0} and zstd-jni's stream use) cuts the input
 * into jobs of 8 MiB, and keeps one frame by giving each job the end of the previous one as
 * history. Independent blocks of 16 MiB compress as well (616.4 MB against 617.2 MB on the
 * benchmark's 1 GB mix of logs and random data; 8 MiB blocks gave 618.1 MB, 4 MiB 621.6 MB), cost
 * less CPU (no overlap compressed twice, no native call per 10 KiB tar record) and need one hand-off
 * per 16 MiB.
 */
final class ParallelZstdOutputStream extends OutputStream {
  /**
   * The default level runs with a quarter of level 3's match-finder tables (2^15 hash, 2^14 chain
   * entries, as the repository's blobs do: they stay in the CPU's L2 cache). On the benchmark's 1 GB
   * that took about a fifth less CPU (2.9 instead of 3.5-3.8 CPU-s) for 0.3% more output (618.1
   * instead of 616.4 MB; {@code zstd -3 -T0} wrote 620.6 MB). Other levels keep zstd's parameters.
   */
  private static final int HASH_LOG = 15;
  private static final int CHAIN_LOG = 14;
  static final int MAX_BLOCK = 16 << 20;
  static final int MIN_BLOCK = 1 << 20;

  /**
   * The largest block, up to 16 MiB, for which the buffers of {@code threads} workers take at most a
   * third of {@code maxHeap} (a power of two, at least 1 MiB): 16 MiB with 2 workers under the
   * launcher's 512 MiB heap, 4 MiB with 16.
   */
  static int blockSize(int threads, long maxHeap) {
    long perBlock = maxHeap / 3 / (Math.max(1, threads) + 2) / 2;
    int size = MAX_BLOCK;
    while (size > MIN_BLOCK && size > perBlock) {
      size >>= 1;
    }
    return size;
  }

  private final OutputStream out;
  private final int level;
  private final int blockSize;
  private final int maxInFlight;
  private final ExecutorService pool;
  private final ArrayDeque<Job> inFlight = new ArrayDeque<>();
  private final ArrayDeque<Job> free = new ArrayDeque<>();
  private final List<Job> all = new ArrayList<>();
  private Job current;
  private boolean wroteAnything;
  private boolean closed;

  /** One block's input and output buffers and its compression context, reused from block to block. */
  private static final class Job {
    final byte[] in;
    int inLength;
    final byte[] out;
    int outLength;
    final ZstdCompressCtx ctx = new ZstdCompressCtx();
    Future<?> done;

    Job(int blockSize, int level) {
      in = new byte[blockSize];
      out = new byte[(int) Zstd.compressBound(blockSize)];
      ctx.setLevel(level);
      if (level == Compression.ZSTD.defaultLevel()) {
        ctx.setHashLog(HASH_LOG).setChainLog(CHAIN_LOG);
      }
    }
  }

  ParallelZstdOutputStream(OutputStream out, int level, int threads, int blockSize) {
    this.out = out;
    this.level = level;
    this.blockSize = blockSize;
    int n = Math.max(1, threads);
    // one block per worker, one compressed and waiting to be written; the one being filled is extra
    this.maxInFlight = n + 1;
    this.pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "zstd-worker");
              t.setDaemon(true);
              return t;
            });
    this.current = newJob();
  }

  private Job newJob() {
    Job j = free.poll();
    if (j == null) {
      j = new Job(blockSize, level);
      all.add(j);
    }
    j.inLength = 0;
    j.outLength = 0;
    return j;
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
    if (current.inLength == 0) {
      return;
    }
    final Job job = current;
    wroteAnything = true;
    job.done = pool.submit(() -> compress(job));
    inFlight.add(job);
    while (inFlight.size() >= maxInFlight) {
      writeOldest();
    }
    current = newJob();
  }

  private static void compress(Job job) {
    job.outLength = job.ctx.compressByteArray(job.out, 0, job.out.length, job.in, 0, job.inLength);
  }

  private void writeOldest() throws IOException {
    Job job = inFlight.poll();
    try {
      job.done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      throw new IOException("zstd compression failed: " + e.getCause().getMessage(), e.getCause());
    }
    out.write(job.out, 0, job.outLength);
    free.add(job);
  }

  /** Writes every pending frame; the underlying stream stays open. */
  void finish() throws IOException {
    if (!wroteAnything || current.inLength > 0) {
      // an empty input still needs one (empty) frame to be a valid zstd file
      Job job = current;
      wroteAnything = true;
      job.done = pool.submit(() -> compress(job));
      inFlight.add(job);
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
        // a worker may still be compressing after a failure: free the native contexts only once it is done
        pool.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (pool.isTerminated()) {
        all.forEach(j -> j.ctx.close());
      }
    }
  }
}
