package dev.holdfast.archive;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
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
 * one after another as one stream. Memory is bounded by (threads + 2) blocks, each allocated once
 * and reused.
 *
 * <p>zstd's own multi-threaded mode (what {@code zstd -T0} and zstd-jni's stream use) cuts the input
 * into jobs of 8 MiB too, but keeps one frame by giving each job the end of the previous one as
 * history. Blocks of 16 MiB without that history compress about as well (0.1% smaller on the
 * benchmark's mix of logs and random data), cost less CPU (no overlap compressed twice, no
 * stream-call per small write) and leave the hand-offs to us: one per 16 MiB.
 */
final class ParallelZstdOutputStream extends OutputStream {
  static final int DEFAULT_BLOCK = 16 << 20;
  /** zstd's largest block (Block_Maximum_Size), and the unit in which random stretches are found. */
  static final int SEGMENT = 128 * 1024;
  private static final int MAX_BLOCK = 128 * 1024;
  private static final int MAGIC = 0xFD2FB528;
  /** Samples per segment and their size: together 8% of it, so the test costs little next to zstd. */
  private static final int SAMPLES = 5;
  private static final int SAMPLE = 2048;
  /**
   * Random bytes give about n + n(n-1)/256 for the sum of squared byte counts of a sample of n
   * (18,424 for 2 KiB); text gives several times that, base64 about three times. A quarter above the
   * random figure leaves no doubt either way.
   */
  private static final long RANDOM_PAIRS = (SAMPLE + (long) SAMPLE * (SAMPLE - 1) / 256) * 5 / 4;

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
    final int[] histogram = new int[256];
    Future<?> done;

    Job(int blockSize, int level) {
      in = new byte[blockSize];
      // a frame per run of (in)compressible segments: each run's bound, plus a header per frame
      out = new byte[(int) Zstd.compressBound(blockSize) + 64 * 1024];
      ctx.setLevel(level);
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

  /**
   * Turns the block into frames: one per run of segments that all look random or all do not. Random
   * runs go into frames of raw blocks, which is what zstd would emit for them too (RFC 8878 section
   * 3.1.1.2.2, a block that does not compress is stored), but without running its match finder over
   * them first: on the benchmark's data that search was a sixth of the compression CPU.
   */
  private static void compress(Job job) {
    job.outLength = 0;
    int start = 0;
    while (start < job.inLength) {
      boolean random = looksRandom(job, start);
      int end = Math.min(job.inLength, start + SEGMENT);
      while (end < job.inLength && looksRandom(job, end) == random) {
        end = Math.min(job.inLength, end + SEGMENT);
      }
      if (random) {
        rawFrame(job, start, end - start);
      } else {
        job.outLength += job.ctx.compressByteArray(
            job.out, job.outLength, job.out.length - job.outLength, job.in, start, end - start);
      }
      start = end;
    }
    if (job.inLength == 0) {
      job.outLength = job.ctx.compressByteArray(job.out, 0, job.out.length, job.in, 0, 0);
    }
  }

  /**
   * Whether the segment at {@code from} looks random: a few samples spread over it, each with about
   * as many pairs of equal bytes as random bytes have (text has several times more). A segment that
   * is random only in part does not pass and goes to zstd, which finds what compresses in it.
   */
  private static boolean looksRandom(Job job, int from) {
    int to = Math.min(job.inLength, from + SEGMENT);
    if (to - from < SEGMENT / 2) {
      return false;
    }
    int span = to - from - SAMPLE;
    for (int s = 0; s < SAMPLES; s++) {
      int at = from + (int) ((long) span * s / (SAMPLES - 1));
      int[] h = job.histogram;
      Arrays.fill(h, 0);
      byte[] b = job.in;
      for (int i = at; i < at + SAMPLE; i++) {
        h[b[i] & 0xff]++;
      }
      long pairs = 0;
      for (int c : h) {
        pairs += (long) c * c;
      }
      if (pairs > RANDOM_PAIRS) {
        return false;
      }
    }
    return true;
  }

  /** A frame of raw blocks: content size known, no window descriptor, no checksum (RFC 8878 section 3.1.1). */
  private static void rawFrame(Job job, int from, int length) {
    byte[] o = job.out;
    int p = job.outLength;
    p = putIntLe(o, p, MAGIC);
    o[p++] = (byte) 0xA0; // Frame_Content_Size field of 4 bytes, Single_Segment_flag
    p = putIntLe(o, p, length);
    int left = length;
    int at = from;
    do {
      int n = Math.min(MAX_BLOCK, left);
      int header = (n << 3) | (n == left ? 1 : 0); // Block_Type 0 (raw), Last_Block on the last one
      o[p++] = (byte) header;
      o[p++] = (byte) (header >>> 8);
      o[p++] = (byte) (header >>> 16);
      System.arraycopy(job.in, at, o, p, n);
      p += n;
      at += n;
      left -= n;
    } while (left > 0);
    job.outLength = p;
  }

  private static int putIntLe(byte[] b, int p, int v) {
    b[p] = (byte) v;
    b[p + 1] = (byte) (v >>> 8);
    b[p + 2] = (byte) (v >>> 16);
    b[p + 3] = (byte) (v >>> 24);
    return p + 4;
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
