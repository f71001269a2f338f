package dev.holdfast.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MirrorExcludeRulesTest {
  @Test
  void aPatternWithoutSlashMatchesANameAtAnyDepth() {
    ExcludeRules r = new ExcludeRules(List.of("*.tmp"));
    assertThat(r.excludes("a.tmp", false)).isTrue();
    assertThat(r.excludes("x/y/a.tmp", false)).isTrue();
    assertThat(r.excludes("x/a.tmp.keep", false)).isFalse();
  }

  @Test
  void aTrailingSlashMatchesDirectoriesOnly() {
    ExcludeRules r = new ExcludeRules(List.of("cache/"));
    assertThat(r.excludes("a/cache", true)).isTrue();
    assertThat(r.excludes("a/cache", false)).isFalse();
  }

  @Test
  void aLeadingSlashAnchorsAtTheSourceRoot() {
    ExcludeRules r = new ExcludeRules(List.of("/top"));
    assertThat(r.excludes("top", false)).isTrue();
    assertThat(r.excludes("sub/top", false)).isFalse();
  }

  @Test
  void aPatternWithAnInnerSlashMatchesTheEndOfThePath() {
    ExcludeRules r = new ExcludeRules(List.of("logs/*.log", "deep/**"));
    assertThat(r.excludes("logs/a.log", false)).isTrue();
    assertThat(r.excludes("srv/logs/a.log", false)).isTrue();
    assertThat(r.excludes("srv/logs/x/a.log", false)).isFalse();
    assertThat(r.excludes("deep/a/b", false)).isTrue();
  }

  @Test
  void excludeFilesSkipCommentsAndBlankLines() {
    assertThat(ExcludeRules.parseFile(List.of("# comment", "", "; also", "*.o", "  "))).containsExactly("*.o");
  }

  @Test
  void temporaryNamesAreRecognised() {
    assertThat(Mirror.isTempName(".big.bin.holdfast-tmp-abc123")).isTrue();
    assertThat(Mirror.isTempName("big.bin")).isFalse();
  }
}
