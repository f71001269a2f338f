package dev.holdfast.repository;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;

/**
 * A seeded test tree for repository round trips: files from empty to several MiB (several chunks),
 * symlinks, a hard link, an empty directory, and names restic quotes (UTF-8, a double quote, a backslash, a
 * newline, a tab, a non-breaking space).
 */
final class SourceTree {
  static final String[] ODD_NAMES = {
    "ünïcödé €.txt", "we\"ird", "back\\slash", "tab\tname", "nl\nname", "nbsp\u00a0x", "日本語"
  };

  private SourceTree() {}

  /** Follows the components of an absolute path from a snapshot's root tree to its node. */
  static Node descend(Repository repo, ObjectId root, Path abs) {
    ObjectId tree = root;
    Node node = null;
    for (Path part : abs) {
      String name = part.toString();
      node = repo.loadTree(tree).nodes().stream().filter(n -> n.name().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("no " + name + " on the way to " + abs));
      tree = node.subtree();
    }
    return node;
  }

  /** Creates the tree under {@code root} (about 6.5 MB); mtimes are set to fixed values with nanoseconds. */
  static Path create(Path root, long seed) throws IOException {
    Random random = new Random(seed);
    Files.createDirectories(root);
    file(root.resolve("big.bin"), random, 3_500_000);
    file(root.resolve("sub/medium.bin"), random, 1_200_000);
    file(root.resolve("sub/small.txt"), random, 777);
    file(root.resolve("sub/deeper/one-byte"), random, 1);
    file(root.resolve("empty-file"), random, 0);
    // the same content twice: deduplicated into the same blobs
    byte[] dup = new byte[700_000];
    random.nextBytes(dup);
    Files.write(root.resolve("dup-a.bin"), dup);
    Files.write(root.resolve("sub/dup-b.bin"), dup);
    for (String name : ODD_NAMES) {
      file(root.resolve("odd").resolve(name), random, 100 + random.nextInt(2000));
    }
    Files.createDirectories(root.resolve("empty-dir"));
    Files.createSymbolicLink(root.resolve("link-to-big"), Path.of("big.bin"));
    Files.createLink(root.resolve("odd/hard-link-to-medium"), root.resolve("sub/medium.bin"));
    Files.createSymbolicLink(root.resolve("sub/dangling"), Path.of("../no/such"));
    Files.setPosixFilePermissions(root.resolve("sub/small.txt"), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(root.resolve("big.bin"), PosixFilePermissions.fromString("rwxr-x---"));
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!Files.isSymbolicLink(p)) {
          long secs = 1_600_000_000L + random.nextInt(100_000_000);
          Files.setLastModifiedTime(p, FileTime.from(java.time.Instant.ofEpochSecond(secs, random.nextInt(1_000_000_000))));
        }
      }
    }
    return root;
  }

  private static void file(Path p, Random random, int size) throws IOException {
    Files.createDirectories(p.getParent());
    byte[] b = new byte[size];
    random.nextBytes(b);
    Files.write(p, b);
  }
}
