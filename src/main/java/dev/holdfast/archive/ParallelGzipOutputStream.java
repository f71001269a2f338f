package dev.holdfast.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip compressor that uses several cores: input is cut into fixed blocks, each compressed on a
 * worker into complete gzip members (RFC 1952 section 2.2 allows a file of several members), and
 * the members are written in order. {@code gzip -d} and {@code tar -xz} read the result as one
 * stream. Memory is bounded by (2 x threads + 1) blocks, each allocated once and reused.
 */
final class ParallelGzipOutputStream extends OutputStream {
  static final int DEFAULT_BLOCK = 1 << 20;
  /**
   * Stretches of this size whose bytes look random are stored, not deflated: deflate gains nothing
   * on already compressed or encrypted data (it grows it slightly) yet spends as much CPU on it as
   * on text, and zstd skips such data the same way.
   */
  static final int SEGMENT = 64 * 1024;
  /** Order-0 entropy (bits per byte) above which a segment counts as incompressible. */
  private static final double RANDOM_BITS = 7.95;
  /** Largest stored deflate block (RFC 1951 section 3.2.4). */
  private static final int STORED_MAX = 65535;
  /** Member header: magic, deflate, no flags, no mtime, no extra flags, OS = Unix. */
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

  private final OutputStream out;
  private final int blockSize;
  private final int maxInFlight;
  private final ExecutorService pool;
  private final ArrayDeque<Job> inFlight = new ArrayDeque<>();
  private final ArrayDeque<Job> free = new ArrayDeque<>();
  private final java.util.List<Job> all = new java.util.ArrayList<>();
  private final int level;
  private Job current;
  private boolean closed;
  private boolean wroteAnything;

  /** One block's input and output buffers and its deflater, reused from block to block. */
  private static final class Job {
    final byte[] in;
    int inLength;
    byte[] out;
    int outLength;
    final Deflater deflater;
    final CRC32 crc = new CRC32();
    final int[] histogram = new int[256];
    Future<?> done;

    Job(int blockSize, int level) {
      in = new byte[blockSize];
      out = new byte[blockSize + blockSize / 8 + 1024];
      deflater = new Deflater(level, true);
    }
  }

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

  private void writeOldest() throws IOException {
    Job job = inFlight.poll();
    try {
      job.done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      throw new IOException("gzip compression failed", e.getCause());
    }
    out.write(job.out, 0, job.outLength);
    free.add(job);
  }

  /** Turns the job's input into members: one per run of segments that are all (in)compressible. */
  private static void compress(Job job) {
    if (job.inLength == 0) {
      member(job, 0, 0, false);
      return;
    }
    int start = 0;
    while (start < job.inLength) {
      Boolean first = looksRandom(job, start);
      boolean random = first != null && first;
      int end = Math.min(job.inLength, start + SEGMENT);
      while (end < job.inLength) {
        Boolean next = looksRandom(job, end);
        if (next != null && next != random) {
          break;
        }
        end = Math.min(job.inLength, end + SEGMENT); // a short tail joins the run before it
      }
      member(job, start, end - start, random);
      start = end;
    }
  }

  /** Whether the segment at {@code from} looks random; null when it is too short to tell. */
  private static Boolean looksRandom(Job job, int from) {
    int to = Math.min(job.inLength, from + SEGMENT);
    int n = to - from;
    if (n < 4096) {
      return null;
    }
    int[] h = job.histogram;
    Arrays.fill(h, 0);
    byte[] b = job.in;
    for (int i = from; i < to; i++) {
      h[b[i] & 0xff]++;
    }
    double bits = 0;
    for (int c : h) {
      if (c != 0) {
        double p = (double) c / n;
        bits -= p * Math.log(p);
      }
    }
    return bits / Math.log(2) > RANDOM_BITS;
  }

  private static void member(Job job, int off, int length, boolean stored) {
    ensure(job, 10 + 8 + length + length / 8 + 1024);
    put(job, HEADER, HEADER.length);
    if (stored) {
      int pos = off;
      int left = length;
      do {
        int n = Math.min(STORED_MAX, left);
        boolean last = n == left;
        job.out[job.outLength++] = (byte) (last ? 1 : 0); // BFINAL, BTYPE 00 (stored), then byte-aligned
        job.out[job.outLength++] = (byte) n;
        job.out[job.outLength++] = (byte) (n >>> 8);
        job.out[job.outLength++] = (byte) ~n;
        job.out[job.outLength++] = (byte) (~n >>> 8);
        System.arraycopy(job.in, pos, job.out, job.outLength, n);
        job.outLength += n;
        pos += n;
        left -= n;
      } while (left > 0);
    } else {
      Deflater d = job.deflater;
      d.reset();
      d.setInput(job.in, off, length);
      d.finish();
      while (!d.finished()) {
        if (job.outLength == job.out.length) {
          job.out = Arrays.copyOf(job.out, job.out.length + job.out.length / 2);
        }
        job.outLength += d.deflate(job.out, job.outLength, job.out.length - job.outLength);
      }
    }
    job.crc.reset();
    job.crc.update(job.in, off, length);
    ensure(job, 8);
    putIntLe(job, (int) job.crc.getValue());
    putIntLe(job, length);
  }

  private static void ensure(Job job, int more) {
    if (job.out.length - job.outLength < more) {
      job.out = Arrays.copyOf(job.out, Math.max(job.outLength + more, job.out.length + job.out.length / 2));
    }
  }

  private static void put(Job job, byte[] b, int n) {
    System.arraycopy(b, 0, job.out, job.outLength, n);
    job.outLength += n;
  }

  private static void putIntLe(Job job, int v) {
    job.out[job.outLength++] = (byte) v;
    job.out[job.outLength++] = (byte) (v >>> 8);
    job.out[job.outLength++] = (byte) (v >>> 16);
    job.out[job.outLength++] = (byte) (v >>> 24);
  }

  /** Writes every pending member; the underlying stream stays open. */
  void finish() throws IOException {
    submit();
    while (!inFlight.isEmpty()) {
      writeOldest();
    }
    if (!wroteAnything) {
      // an empty input still needs one (empty) member to be a valid gzip file
      compress(current);
      out.write(current.out, 0, current.outLength);
      current.outLength = 0;
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
      try {
        // a worker may still be deflating after a failure: free the native memory only once it is done
        pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (pool.isTerminated()) {
        all.forEach(j -> j.deflater.end());
      }
    }
  }
}
