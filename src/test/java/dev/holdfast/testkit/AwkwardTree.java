package dev.holdfast.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Random;

/**
 * A tree holding what tar round trips tend to get wrong: names over 100 bytes and paths over 255,
 * UTF-8 names, relative/absolute/dangling symlinks, hard links, empty directories, unusual modes
 * (0600, 0755, 0444 files, a 0700 directory, setuid), fixed mtimes, a foreign owner (as root),
 * empty files, and random content of sizes around tar's 512-byte blocks and the 1 MiB gzip block.
 *
 * @param hardLinks two names of one file
 * @param setuid whether the setuid bit could be set here
 * @param foreignOwner whether a file was chowned to 1234:5678 (only as root)
 */
public record AwkwardTree(Path root, Path[] hardLinks, boolean setuid, boolean foreignOwner) {
  /** Content sizes in bytes: empty, one byte, tar block edges, past 64 KiB, past a 1 MiB gzip block. */
  public static final long[] SIZES = {0, 1, 511, 512, 513, 65_537, 1_048_593};

  public static AwkwardTree create(Path root, long seed) {
    Random random = new Random(seed);
    try {
      Files.createDirectories(root);
      for (long size : SIZES) {
        Trees.randomFile(root.resolve("data/size-" + size + ".bin"), random, size);
      }
      Files.createFile(root.resolve("data/empty"));

      // a 160-character name (tar's header holds 100) and a path of ~380 characters (ustar's prefix holds 155)
      Trees.randomFile(root.resolve("long/" + "n".repeat(150) + "-name.bin"), random, 700);
      Path deep = root.resolve("long").resolve("d".repeat(120)).resolve("e".repeat(120)).resolve("f".repeat(120));
      Trees.randomFile(deep.resolve("deep-" + "g".repeat(100) + ".txt"), random, 1234);

      Trees.randomFile(root.resolve("Grüße/日本語 файл.txt"), random, 333);
      // 62 two-byte characters: 124 bytes of UTF-8, over the 100-byte header field
      Trees.randomFile(root.resolve("Grüße/" + "ü".repeat(62)), random, 10);

      Files.createDirectories(root.resolve("links"));
      Files.createSymbolicLink(root.resolve("links/relative"), Path.of("../data/size-512.bin"));
      Files.createSymbolicLink(root.resolve("links/absolute"), Path.of("/etc/hostname"));
      Files.createSymbolicLink(root.resolve("links/dangling"), Path.of("no/such/file"));
      Files.createSymbolicLink(root.resolve("links/to-dir"), Path.of("../data"));

      Path first = Trees.randomFile(root.resolve("hard/first.bin"), random, 4096);
      Path second = root.resolve("hard/sub/second-name.bin");
      Files.createDirectories(second.getParent());
      Files.createLink(second, first);

      Files.createDirectories(root.resolve("empty/nested/deeper"));
      Files.createDirectories(root.resolve("empty-top"));

      Path modes = root.resolve("modes");
      mode(Trees.randomFile(modes.resolve("private-0600"), random, 100), 0600);
      mode(Trees.randomFile(modes.resolve("script-0755"), random, 100), 0755);
      mode(Trees.randomFile(modes.resolve("readonly-0444"), random, 100), 0444);
      Trees.randomFile(modes.resolve("private-dir/inside"), random, 100);
      mode(modes.resolve("private-dir"), 0700);
      Path suid = Trees.randomFile(modes.resolve("setuid-4755"), random, 100);
      mode(suid, 04755);
      boolean setuid = ((Integer) Files.getAttribute(suid, "unix:mode") & 04000) != 0;
      if (!setuid) {
        Files.delete(suid); // the file system refuses setuid bits; nothing to compare
      }

      boolean foreign = false;
      if (Processes.isRoot()) {
        Path owned = Trees.randomFile(root.resolve("owned/by-1234-5678"), random, 50);
        Files.setAttribute(owned, "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(owned, "unix:gid", 5678, LinkOption.NOFOLLOW_LINKS);
        mode(owned, 0640);
        foreign = true;
      }
      Trees.setTimes(root, random);
      return new AwkwardTree(root, new Path[] {first, second}, setuid, foreign);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path mode(Path p, int mode) throws IOException {
    Files.setAttribute(p, "unix:mode", mode);
    return p;
  }
}
