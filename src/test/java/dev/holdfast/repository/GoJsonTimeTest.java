package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.HoldfastException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fast path for Go's RFC 3339 times agrees with the JDK's ISO parser, and rejects what it rejects. */
class GoJsonTimeTest {
  @Test
  void agreesWithTheIsoParser() {
    for (String s : List.of("2026-11-30T08:15:30.123456789+02:00", "2026-11-30T08:15:30Z", "2026-11-30T08:15:30.5Z",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-11:30", "2020-02-29T00:00:00.000001+00:00",
        "2026-11-30t08:15:30Z", "2026-11-30T08:15Z", "2026-11-30T08:15:30.Z")) {
      assertThat(GoJson.parseTime(s, "t")).as(s).isEqualTo(OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    }
  }

  @Test
  void rejectsWhatTheIsoParserRejects() {
    for (String s : List.of("2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-30T24:00:00Z",
        "2026-11-30T08:15:30.1234567891Z", "2026-11-30T08:15:30", "2026-11-30T08:15:30+2:00",
        "2026-11-30 08:15:30Z", "2026-11-30T08:15:30ZZ", "x")) {
      assertThatThrownBy(() -> GoJson.parseTime(s, "tree t")).as(s).isInstanceOf(HoldfastException.class)
          .hasMessageContaining("tree t is damaged");
    }
  }
}
