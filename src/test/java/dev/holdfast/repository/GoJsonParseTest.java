package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GoJson.parse builds the same trees as Jackson's ObjectMapper.readTree, and calls bad JSON damage. */
class GoJsonParseTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"kdf\":\"scrypt\",\"N\":32768,\"r\":8,\"p\":1,\"salt\":\"AAAA\",\"mac\":{\"k\":\"a\",\"r\":\"b\"}}",
      "{\"a\":[1,-2,3000000000,123456789012345678901234567890,1.5,2.0e3,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}",
      "{\"dup\":1,\"dup\":\"last wins\"}",
      "[ {\"nested\" : [ [ ] , { } ] } ]",
      "\"just a string\"",
      "42",
      "{\"a\":1} trailing text is ignored, as readTree ignores it",
  })
  void buildsWhatReadTreeBuilds(String json) throws Exception {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    assertThat(GoJson.parse(bytes, "test file")).isEqualTo(MAPPER.readTree(bytes));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "{", "{\"a\":", "{\"a\" 1}", "[1,2", "{\"a\":tru}", "{1:2}", "\u0000\u0001garbage"})
  void badJsonIsDamage(String json) {
    assertThatThrownBy(() -> GoJson.parse(json.getBytes(StandardCharsets.UTF_8), "key file keys/abc"))
        .isInstanceOf(HoldfastException.class)
        .hasMessageStartingWith("key file keys/abc is damaged: ")
        .satisfies(e -> assertThat(((HoldfastException) e).exitCode()).isEqualTo(ExitCode.DAMAGED));
  }

  @Test
  void nestingBeyondTheParsersLimitIsDamageNotAStackOverflow() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    assertThatThrownBy(() -> GoJson.parse(deep.getBytes(StandardCharsets.UTF_8), "snapshot x"))
        .isInstanceOf(HoldfastException.class)
        .hasMessageContaining("damaged");
  }
}
