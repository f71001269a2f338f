package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The chunk arena: chunks never overlap while in use, whatever order they are freed in. */
class ChunkArenaTest {

  @Test
  void chunksInUseNeverOverlapAndKeepTheirBytes() {
    var arena = new ChunkArena(1000);
    var random = new Random(3);
    record Held(int off, byte[] bytes) {}
    List<Held> held = new ArrayList<>();
    int placed = 0;
    for (int round = 0; round < 50_000; round++) {
      if (!held.isEmpty() && random.nextInt(3) == 0) { // free any chunk, not only the oldest
        Held h = held.remove(random.nextInt(held.size()));
        assertThat(Arrays.copyOfRange(arena.array(), h.off(), h.off() + h.bytes().length)).isEqualTo(h.bytes());
        arena.release(h.off());
        continue;
      }
      int len = 1 + random.nextInt(random.nextInt(10) == 0 ? 1000 : 300);
      byte[] b = new byte[len];
      random.nextBytes(b);
      int off = arena.tryPut(b, 0, len);
      if (off < 0) {
        assertThat(held).as("an empty arena takes any chunk").isNotEmpty();
        continue;
      }
      placed++;
      for (Held h : held) {
        assertThat(off + len <= h.off() || h.off() + h.bytes().length <= off)
            .as("[%d, %d) overlaps [%d, %d)", off, off + len, h.off(), h.off() + h.bytes().length).isTrue();
      }
      held.add(new Held(off, b));
    }
    assertThat(placed).isGreaterThan(10_000);
  }

  @Test
  void aWriterWaitsForRoomAndWorkersFreeInAnyOrder() throws Exception {
    var arena = new ChunkArena(64 << 10);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    var random = new Random(5);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int i = 0; i < 2000; i++) {
        int len = 1 + random.nextInt(40 << 10);
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) i);
        int off = arena.put(b, 0, len);
        int sleepy = random.nextInt(3);
        done.add(pool.submit(() -> {
          byte[] now = Arrays.copyOfRange(arena.array(), off, off + len);
          if (sleepy == 0) {
            Thread.yield();
          }
          assertThat(now).isEqualTo(b);
          assertThat(Arrays.copyOfRange(arena.array(), off, off + len)).isEqualTo(b);
          arena.release(off);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void refusesAChunkLargerThanItself() {
    assertThatThrownBy(() -> new ChunkArena(10).put(new byte[11], 0, 11)).isInstanceOf(IllegalArgumentException.class);
  }
}
