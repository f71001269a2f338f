package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** --include as restic's: anchored with a leading '/', else at any depth; a matched directory brings its contents. */
class IncludePatternsTest {
  private static boolean includes(String pattern, String path) {
    return new IncludePatterns(List.of(pattern)).includes(path);
  }

  @Test
  void aPatternWithoutALeadingSlashMatchesAtAnyDepth() {
    assertThat(includes("*.txt", "home/me/a.txt")).isTrue();
    assertThat(includes("*.txt", "a.txt")).isTrue();
    assertThat(includes("*.txt", "home/me/a.bin")).isFalse();
    assertThat(includes("sub", "tmp/src/sub/b.txt")).as("a directory brings what is below it").isTrue();
    assertThat(includes("sub", "tmp/src/subway/b.txt")).isFalse();
    assertThat(includes("me/notes", "home/me/notes/x")).isTrue();
    assertThat(includes("me/notes", "home/you/notes/x")).isFalse();
    assertThat(includes("home/me/**", "home/me/a/b")).isTrue();
  }

  @Test
  void aLeadingSlashAnchorsThePatternAtTheRoot() {
    assertThat(includes("/home/me", "home/me/a.txt")).isTrue();
    assertThat(includes("/me", "home/me/a.txt")).isFalse();
    assertThat(includes("/*.txt", "a.txt")).isTrue();
    assertThat(includes("/*.txt", "home/a.txt")).isFalse();
    assertThat(includes("/home/me/", "home/me/a.txt")).as("a trailing slash").isTrue();
    assertThat(includes("/", "anything/at/all")).isTrue();
  }

  @Test
  void noPatternsIncludeEverythingAndAnyOneOfSeveralSuffices() {
    assertThat(new IncludePatterns(List.of()).includes("x/y")).isTrue();
    IncludePatterns two = new IncludePatterns(List.of("/etc", "*.conf"));
    assertThat(two.includes("etc/hosts")).isTrue();
    assertThat(two.includes("srv/app/app.conf")).isTrue();
    assertThat(two.includes("srv/app/app.yaml")).isFalse();
  }
}
