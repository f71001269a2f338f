package dev.holdfast.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirror run by a user other than root makes a read-only destination directory writable while it
 * syncs its entries, and must give it its mode back, also when nothing inside changed. The mirror
 * acts as a user would here (whoever runs the test): the walk's chmod and its undoing are what is
 * judged, by rsync and by the mode itself.
 */
class MirrorAsUserIT {
  @TempDir Path tmp;

  @Test
  void readOnlyDirectoriesKeepTheirModeAcrossRuns() throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("ro/inner"));
    Files.writeString(src.resolve("ro/file.txt"), "read-only directory");
    Files.setAttribute(src.resolve("ro/inner"), "unix:mode", 0500);
    Files.setAttribute(src.resolve("ro"), "unix:mode", 0555);
    Path dest = tmp.resolve("dest");

    List<String> first = mirror(src, dest);
    assertThat(first).contains("cd+++++++++ ro/", ">f+++++++++ ro/file.txt");
    assertMode(dest.resolve("ro"), 0555);
    assertMode(dest.resolve("ro/inner"), 0500);

    assertThat(mirror(src, dest)).as("an unchanged re-run itemizes nothing").isEmpty();
    assertMode(dest.resolve("ro"), 0555);
    assertMode(dest.resolve("ro/inner"), 0500);
    assertThat(MirrorRsyncIT.rsync(src, dest)).isEmpty();

    Files.setAttribute(src.resolve("ro"), "unix:mode", 0755);
    Files.writeString(src.resolve("ro/new.txt"), "added");
    Files.setAttribute(src.resolve("ro"), "unix:mode", 0555);
    assertThat(mirror(src, dest)).contains(">f+++++++++ ro/new.txt");
    assertMode(dest.resolve("ro"), 0555);
    assertThat(MirrorRsyncIT.rsync(src, dest)).isEmpty();
  }

  private static List<String> mirror(Path src, Path dest) {
    List<String> lines = new ArrayList<>();
    MirrorRequest req = new MirrorRequest(List.of(src), dest.toString(), true, false, null,
        new ExcludeRules(List.of()), false);
    try (LocalTree tree = new LocalTree(dest)) {
      new Mirror(req, tree, lines::add, false).run();
    }
    return lines;
  }

  private static void assertMode(Path p, int mode) throws Exception {
    assertThat(Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode") & 07777))
        .as("mode of " + p).isEqualTo(Integer.toOctalString(mode));
  }
}
