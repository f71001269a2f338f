package dev.holdfast.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RetentionPolicyTest {

  @Test
  void noneIsEmptyAndAnyRuleMakesItNonEmpty() {
    assertThat(RetentionPolicy.none().isEmpty()).isTrue();
    assertThat(new RetentionPolicy(0, 0, 0, 0, 0, 0, CalendarDuration.parse("0d")).isEmpty())
        .isTrue();
    assertThat(RetentionPolicy.none().withKeepLast(1).isEmpty()).isFalse();
    assertThat(RetentionPolicy.none().withKeepYearly(1).isEmpty()).isFalse();
    assertThat(RetentionPolicy.none().withKeepWithin("1h").isEmpty()).isFalse();
  }

  @Test
  void withersSetExactlyOneField() {
    var p =
        RetentionPolicy.none()
            .withKeepLast(1)
            .withKeepHourly(2)
            .withKeepDaily(3)
            .withKeepWeekly(4)
            .withKeepMonthly(5)
            .withKeepYearly(6)
            .withKeepWithin("1y2m");

    assertThat(p).isEqualTo(new RetentionPolicy(1, 2, 3, 4, 5, 6, new CalendarDuration(1, 2, 0, 0)));
  }

  @Test
  void negativeCountsAreRejectedNamingTheField() {
    assertThatThrownBy(() -> RetentionPolicy.none().withKeepDaily(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keepDaily must be 0 (unset) or a positive count, got -1");
  }

  @Test
  void withinMustNotBeNull() {
    assertThatThrownBy(() -> new RetentionPolicy(0, 0, 0, 0, 0, 0, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("CalendarDuration.ZERO");
  }

  @Test
  void describesItselfForDryRuns() {
    assertThat(RetentionPolicy.none().describe()).isEqualTo("no retention rule set: keep everything");
    assertThat(RetentionPolicy.none().withKeepDaily(7).withKeepWeekly(4).describe())
        .isEqualTo("keep 7 daily, 4 weekly");
    assertThat(RetentionPolicy.none().withKeepLast(3).withKeepWithin("30d").describe())
        .isEqualTo("keep 3 last and all within 30d of the newest");
    assertThat(RetentionPolicy.none().withKeepWithin("1y6m").describe())
        .isEqualTo("keep all within 1y6m of the newest");
  }
}
