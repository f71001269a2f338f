package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@code --sample}: a stable share per day, the newest always, the whole history once per cycle. */
class SamplingTest {
  private static final LocalDate DAY = LocalDate.of(2026, 11, 30);

  private static List<String> history(int n) {
    return IntStream.range(0, n).mapToObj(i -> String.format("daily/2026-%02d-%02d_030000-daily.tar.gz",
        1 + i / 28, 1 + i % 28)).toList();
  }

  @Test
  void parsesPercentAndFractions() {
    assertThat(Sampling.parse("10%")).isEqualTo(10.0);
    assertThat(Sampling.parse("1/4")).isEqualTo(25.0);
    assertThat(Sampling.parse("50")).isEqualTo(50.0);
    for (String bad : List.of("0%", "101%", "x", "1/0", "-5%")) {
      assertThatThrownBy(() -> Sampling.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void oneNthIsACycleOfExactlyNDays() {
    List<String> items = history(300);
    for (int n = 2; n <= 60; n++) {
      double p = Sampling.parse("1/" + n);
      // every backup but the newest is read on exactly one day of any n consecutive days
      Map<String, Integer> reads = new HashMap<>();
      for (int d = 0; d < n; d++) {
        for (String s : Sampling.select(items, p, DAY.plusDays(d), Function.identity())) {
          reads.merge(s, 1, Integer::sum);
        }
      }
      List<String> older = items.subList(0, items.size() - 1);
      assertThat(older).as("1/%d", n).allMatch(s -> reads.getOrDefault(s, 0) == 1);
      assertThat(reads.get(items.get(items.size() - 1))).as("newest, 1/%d", n).isEqualTo(n);
    }
  }

  @Test
  void theSameDayGivesTheSameShareAndTheNextDayAnother() {
    List<String> items = history(100);
    List<String> today = Sampling.select(items, 25, DAY, Function.identity());
    assertThat(Sampling.select(new ArrayList<>(items), 25, DAY, Function.identity())).isEqualTo(today);
    assertThat(Sampling.select(items, 25, DAY.plusDays(1), Function.identity())).isNotEqualTo(today);
    assertThat(today).contains(items.get(99)).hasSizeBetween(10, 45);
    assertThat(Sampling.select(items, 100, DAY, Function.identity())).isEqualTo(items);
  }
}
