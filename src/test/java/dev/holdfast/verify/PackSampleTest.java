package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.repository.ObjectId;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Parsing {@code --sample} for repositories, and the slices covering every pack once per cycle. */
class PackSampleTest {
  private static final LocalDate DAY = LocalDate.of(2026, 11, 30);

  @Test
  void parsesADailySliceARandomShareAndRefusesTheRest() {
    assertThat(PackSample.parse("1/7", DAY, new Random())).isEqualTo(new PackSample.Slice((int) (DAY.toEpochDay() % 7) + 1, 7));
    assertThat(PackSample.parse("1/7", DAY.plusDays(1), new Random()))
        .isEqualTo(new PackSample.Slice((int) ((DAY.toEpochDay() + 1) % 7) + 1, 7));
    assertThat(PackSample.parse("1/1", DAY, new Random())).isInstanceOf(PackSample.All.class);
    assertThat(PackSample.parse("100%", DAY, new Random())).isInstanceOf(PackSample.All.class);
    assertThat(PackSample.parse(" 10% ", DAY, new Random())).isInstanceOfSatisfying(PackSample.Share.class,
        s -> assertThat(s.percent()).isEqualTo(10.0));
    for (String bad : List.of("2/7", "1/0", "1/257", "0%", "101%", "x", "1/", "%", "10")) {
      assertThatThrownBy(() -> PackSample.parse(bad, DAY, new Random())).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1/N");
    }
  }

  @Test
  void theSlicesOfACyclePartitionThePacksAndAShareTakesItsPercentage() {
    Random r = new Random(3);
    List<ObjectId> packs = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      byte[] b = new byte[32];
      r.nextBytes(b);
      packs.add(ObjectId.of(b));
    }
    Set<ObjectId> seen = new HashSet<>();
    int total = 0;
    for (int day = 0; day < 7; day++) {
      Set<ObjectId> chosen = PackSample.parse("1/7", DAY.plusDays(day), r).choose(packs);
      assertThat(chosen).isNotEmpty();
      seen.addAll(chosen);
      total += chosen.size();
    }
    assertThat(total).as("no pack read twice in a cycle").isEqualTo(1000);
    assertThat(seen).hasSize(1000);
    assertThat(new PackSample.Share(10, new Random(1)).choose(packs)).hasSize(100);
    assertThat(new PackSample.Share(0.01, new Random(1)).choose(packs)).hasSize(1);
    assertThat(new PackSample.Share(10, new Random(1)).choose(List.of())).isEmpty();
  }
}
