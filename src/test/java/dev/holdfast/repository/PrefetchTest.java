package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.ObjectInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PrefetchTest {
  private static List<ObjectInfo> files(int n) {
    return IntStream.range(0, n).mapToObj(i -> new ObjectInfo("index/" + i, i, Instant.EPOCH)).toList();
  }

  @Test
  void handsFilesOverInListOrderWithAtMostTheWindowFetchedOrHeld() throws IOException {
    AtomicInteger held = new AtomicInteger(); // fetched and not yet used
    AtomicInteger most = new AtomicInteger();
    AtomicInteger fetching = new AtomicInteger();
    AtomicInteger mostFetching = new AtomicInteger();
    List<String> used = new ArrayList<>();
    Prefetch.inOrder(files(50), 4, f -> {
      mostFetching.accumulateAndGet(fetching.incrementAndGet(), Math::max);
      try {
        Thread.sleep(50 - f.size()); // later files come back sooner
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      fetching.decrementAndGet();
      most.accumulateAndGet(held.incrementAndGet(), Math::max);
      return f.key();
    }, (f, key) -> {
      assertThat(key).isEqualTo(f.key());
      used.add(key);
      held.decrementAndGet();
    });
    assertThat(used).isEqualTo(files(50).stream().map(ObjectInfo::key).toList());
    assertThat(most.get()).isBetween(1, 4);
    assertThat(mostFetching.get()).as("fetches overlap").isGreaterThan(1);
  }

  @Test
  void aFailedFetchIsThrownAsItWas() {
    assertThatThrownBy(() -> Prefetch.inOrder(files(20), 8, f -> {
      if (f.size() == 7) {
        throw new IOException("index/7: connection reset");
      }
      return f;
    }, (f, x) -> { }))
        .isInstanceOf(IOException.class).hasMessage("index/7: connection reset");
    assertThatThrownBy(() -> Prefetch.inOrder(files(20), 8, f -> f, (f, x) -> {
      if (f.size() == 3) {
        throw new IllegalStateException("damaged");
      }
    })).isInstanceOf(IllegalStateException.class).hasMessage("damaged");
  }

  @Test
  void oneFileOrAWindowOfOneReadsInTheCallersThread() throws IOException {
    Thread caller = Thread.currentThread();
    List<Thread> threads = new ArrayList<>();
    Prefetch.inOrder(files(3), 1, f -> {
      threads.add(Thread.currentThread());
      return f;
    }, (f, x) -> { });
    assertThat(threads).hasSize(3).containsOnly(caller);
  }
}
