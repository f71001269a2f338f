package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The bytes a document is stored as: its JSON and a newline in UTF-8, whatever the characters. */
class GoJsonUtf8Test {
  @Test
  void utf8LineIsTheDocumentAndANewline() {
    for (String name : new String[] {"plain.txt", "h\u00e9llo \u2603 \ud834\udd1e", "x".repeat(20_000) + "\u00e9", "\u00e9" + "y".repeat(20_000)}) {
      GoJson a = new GoJson().beginObject().name("name").value(name).name("n").value(12345).endObject();
      GoJson b = new GoJson(4).beginObject().name("name").value(name).name("n").value(12345).endObject();
      byte[] expected = (a + "\n").getBytes(StandardCharsets.UTF_8);
      assertThat(b.toUtf8Line()).isEqualTo(expected); // past the first 8 KiB slice too, and from a small builder
    }
  }
}
