package dev.holdfast.archive;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.OutputStream;

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
final class ParallelZstdOutputStream extends ParallelBlockOutputStream<ParallelZstdOutputStream.Job> {
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

  /** A block with its compression context. */
  static final class Job extends Block {
    final ZstdCompressCtx ctx = new ZstdCompressCtx();

    Job(int blockSize, int level) {
      super(blockSize, (int) Zstd.compressBound(blockSize));
      ctx.setLevel(level);
      if (level == Compression.ZSTD.defaultLevel()) {
        ctx.setHashLog(HASH_LOG).setChainLog(CHAIN_LOG);
      }
    }
  }

  ParallelZstdOutputStream(OutputStream out, int level, int threads, int blockSize) {
    // one block per worker, one compressed and waiting to be written; the one being filled is extra
    super(out, "zstd", threads, blockSize, Math.max(1, threads) + 1, () -> new Job(blockSize, level));
  }

  @Override
  void compress(Job job) {
    job.outLength = job.ctx.compressByteArray(job.out, 0, job.out.length, job.in, 0, job.inLength);
  }

  @Override
  void release(Job job) {
    job.ctx.close();
  }
}
