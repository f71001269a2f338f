package dev.holdfast.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/** The path-safety rules of restore: nothing may be written outside the target directory. */
final class PathRules {
  private PathRules() {}

  /** Why an entry name is unsafe, or empty when it is a plain relative path. */
  static Optional<String> unsafe(String name) {
    if (name.isEmpty()) {
      return Optional.of("it has an empty name");
    }
    if (name.indexOf('\0') >= 0) {
      return Optional.of("its name contains a NUL byte");
    }
    if (name.startsWith("/")) {
      return Optional.of("it has an absolute path");
    }
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        return Optional.of("its path contains '..'");
      }
    }
    return Optional.empty();
  }

  /**
   * The first symbolic link among the components between {@code base} (exclusive) and {@code path}
   * (exclusive): writing through it could land outside the target.
   */
  static Optional<Path> linkInParents(Path base, Path path) {
    Path rel = base.relativize(path);
    Path cur = base;
    for (int i = 0; i < rel.getNameCount() - 1; i++) {
      cur = cur.resolve(rel.getName(i));
      if (Files.isSymbolicLink(cur)) {
        return Optional.of(cur);
      }
    }
    return Optional.empty();
  }

  /**
   * Makes {@code target} (when missing) and a new staging directory inside it, where a restore
   * writes everything before moving it into place; a target that is a file is a usage error.
   */
  static Path makeStaging(Path target) {
    try {
      Files.createDirectories(target);
      Path staging = Files.createTempDirectory(target, ".holdfast-restore-");
      try {
        STAGINGS.add(staging);
      } catch (RuntimeException e) {
        deleteTree(staging); // the process is stopping: nothing would delete it later
        throw e;
      }
      return staging;
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw dev.holdfast.error.HoldfastException.usage("restore target " + target + " exists and is not a directory",
          "give a directory (it is created when missing)");
    } catch (IOException e) {
      throw dev.holdfast.error.HoldfastException.io("preparing restore target " + target, e);
    }
  }

  /** Deletes a staging directory made by {@link #makeStaging}, whatever is left in it. */
  static void dropStaging(Path staging) {
    deleteTree(staging);
    STAGINGS.remove(staging);
  }

  /**
   * The staging directories of restores under way, for a shutdown hook that deletes them when
   * SIGTERM or Ctrl-C ends the process: the restore's own cleanup never runs then, and a hidden
   * directory of half a restore would stay in the target for good. (SIGKILL runs no hook.)
   */
  private static final dev.holdfast.error.ExitCleanup<Path> STAGINGS = new dev.holdfast.error.ExitCleanup<>(
      "restore-staging-cleanup", p -> {
        for (int attempt = 0; attempt < 3 && exists(p); attempt++) { // workers may still be writing into it
          try {
            deleteTree(p);
          } catch (RuntimeException e) {
            // a file vanished or appeared while walking: walk again
          }
        }
      });

  static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var s = Files.walk(root)) {
      s.sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    p.toFile().setWritable(true, true);
                  }
                  Files.deleteIfExists(p);
                } catch (IOException ignored) {
                  // best effort: a left-over staging directory is named so the user can spot it
                }
              });
    } catch (IOException ignored) {
      // best effort, as above
    }
  }

  /** Makes {@code finalPath} a directory, replacing a file or link that stands there. */
  static void replaceWithDirectory(Path finalPath) throws java.io.IOException {
    if (exists(finalPath) && !java.nio.file.Files.isDirectory(finalPath, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      java.nio.file.Files.delete(finalPath);
    }
    java.nio.file.Files.createDirectories(finalPath);
  }

  /**
   * Moves a staged directory, with everything in it, to {@code name} under {@code target} in one
   * rename, when nothing stands there and no directory on the way is a symbolic link. False, having
   * moved nothing, when something does (it appeared since staging, or rename cannot move it): the
   * caller then moves its entries one by one.
   */
  static boolean moveDirectoryIntoTarget(Path target, Path stagedDir, String name) throws IOException {
    Path finalPath = target.resolve(name);
    if (exists(finalPath) || linkInParents(target, finalPath).isPresent()) {
      return false;
    }
    Files.createDirectories(finalPath.getParent());
    try {
      Files.move(stagedDir, finalPath, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (java.nio.file.FileSystemException e) {
      // rename(2) reports a directory that appeared since staging (not empty) or a file there as a
      // plain FileSystemException; the caller then moves the entries one by one
      if (exists(finalPath) || e instanceof java.nio.file.AtomicMoveNotSupportedException) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Moves a staged file or link to {@code name} under {@code target}: refused when a directory on
   * the way is a symbolic link (it would lead the write outside the target), atomic where it can be.
   */
  static void moveIntoTarget(Path target, Path stagedPath, String name) throws java.io.IOException {
    Path finalPath = target.resolve(name);
    linkInParents(target, finalPath).ifPresent(link -> {
      throw new dev.holdfast.error.HoldfastException(dev.holdfast.error.ExitCode.FAILED,
          "refusing to restore '" + name + "': '" + link + "' in the target is a symbolic link");
    });
    java.nio.file.Files.createDirectories(finalPath.getParent());
    try {
      java.nio.file.Files.move(stagedPath, finalPath, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.AtomicMoveNotSupportedException e) {
      java.nio.file.Files.move(stagedPath, finalPath, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }
  }
}
