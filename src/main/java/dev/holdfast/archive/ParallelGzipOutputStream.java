package dev.holdfast.archive;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip compressor that uses several cores: input is cut into fixed blocks, each compressed on a
 * worker into complete gzip members (RFC 1952 section 2.2 allows a file of several members), and
 * the members are written in order. {@code gzip -d} and {@code tar -xz} read the result as one
 * stream. Memory is bounded by (2 x threads + 1) blocks, each allocated once and reused.
 */
final class ParallelGzipOutputStream extends ParallelBlockOutputStream<ParallelGzipOutputStream.Job> {
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

  /** A block with its deflater, CRC and byte histogram. */
  static final class Job extends Block {
    final Deflater deflater;
    final CRC32 crc = new CRC32();
    final int[] histogram = new int[256];

    Job(int blockSize, int level) {
      super(blockSize, blockSize + blockSize / 8 + 1024);
      deflater = new Deflater(level, true);
    }
  }

  ParallelGzipOutputStream(OutputStream out, int level, int threads, int blockSize) {
    super(out, "gzip", threads, blockSize, 2 * Math.max(1, threads), () -> new Job(blockSize, level));
  }

  @Override
  void release(Job job) {
    job.deflater.end();
  }

  /** Turns the job's input into members: one per run of segments that are all (in)compressible. */
  @Override
  void compress(Job job) {
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
}
