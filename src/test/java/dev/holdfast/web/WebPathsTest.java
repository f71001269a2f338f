package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The rules that keep request paths inside a backup and restore directories where they belong. */
class WebPathsTest {
  @Test
  void pathsInsideABackupAreRelativeWithoutDotComponents() {
    assertThat(ArchiveBrowser.checkPath(null)).isEmpty();
    assertThat(ArchiveBrowser.checkPath("/")).isEmpty();
    assertThat(ArchiveBrowser.checkPath("/home/me/")).isEqualTo("home/me");
    assertThat(ArchiveBrowser.checkPath("home/me/..hidden")).isEqualTo("home/me/..hidden");
    for (String bad : new String[] {"..", "../etc", "home/../../etc", "home/./me", "home//me", "a\\..\\b", "a\0b", "//etc"}) {
      assertThatThrownBy(() -> ArchiveBrowser.checkPath(bad)).as(bad).isInstanceOf(WebError.class)
          .extracting(e -> ((WebError) e).status).isEqualTo(400);
    }
  }

  @Test
  void archiveEntriesThatCouldEscapeAreUnsafe() {
    assertThat(ArchiveBrowser.unsafeEntry("home/me/a.txt")).isFalse();
    assertThat(ArchiveBrowser.unsafeEntry("/etc/passwd")).isTrue();
    assertThat(ArchiveBrowser.unsafeEntry("home/../../etc/passwd")).isTrue();
    assertThat(ArchiveBrowser.unsafeEntry("")).isTrue();
  }

  @Test
  void restoreDirectoriesAreAbsoluteWithoutDotComponents() {
    assertThat(RestoreFlow.checkInto("/srv/restored/")).isEqualTo(Path.of("/srv/restored"));
    for (String bad : new String[] {"srv", "/srv/../etc", "/srv/./x", "", " "}) {
      assertThatThrownBy(() -> RestoreFlow.checkInto(bad)).as(bad).isInstanceOf(WebError.class);
    }
  }

  @Test
  void anEscapedGlobMatchesExactlyThatPath() {
    String name = "photos/c [1]*{a,b}?.jpg";
    var m = FileSystems.getDefault().getPathMatcher("glob:" + RestoreFlow.escapeGlob(name));
    assertThat(m.matches(Path.of(name))).isTrue();
    assertThat(m.matches(Path.of("photos/c 1xa?.jpg"))).isFalse();
  }

  @Test
  void passwordsInUrisAreMasked() {
    assertThat(RestoreFlow.maskUri("postgresql://app:s3cret@db:5432/shop")).isEqualTo("postgresql://app:***@db:5432/shop");
    assertThat(RestoreFlow.maskUri("sftp://u:p@nas/backups")).isEqualTo("sftp://u:***@nas/backups");
    assertThat(RestoreFlow.maskUri("sftp://u@nas/backups")).isEqualTo("sftp://u@nas/backups");
    assertThat(RestoreFlow.maskUri("/srv/backups")).isEqualTo("/srv/backups");
  }

  @Test
  void downloadNamesAreSafeInTheHeader() {
    assertThat(Dashboard.disposition("a\"b\r\nc.txt")).startsWith("attachment; filename=\"a_b__c.txt\"")
        .doesNotContain("\r", "\n");
  }
}
