package dev.holdfast.restore;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveEntry;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Digests;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.backend.Backend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Restores an archive into a directory. Everything is first extracted into a staging directory
 * inside the target; only when the whole stream has been read and every check passed (gzip CRC,
 * the object's SHA-256 against its sidecar, each file against the manifest) are the files renamed
 * into place. A failed restore leaves the target as it was.
 */
public final class ArchiveRestore {
  private final EventSink events;
  private final OpenPgpDecryption decryption;
  private final boolean asRoot;

  public ArchiveRestore(EventSink events) {
    this(events, null);
  }

  /** {@code decryption} opens encrypted archives; null when none is expected. */
  public ArchiveRestore(EventSink events, OpenPgpDecryption decryption) {
    this.events = events;
    this.decryption = decryption;
    this.asRoot = "root".equals(System.getProperty("user.name"));
  }

  private record Staged(String name, ArchiveEntry entry) {}

  public RestoreResult restore(ArchiveCatalog.Item item, RestoreRequest request) {
    String key = item.ref().id();
    Path target = request.target().toAbsolutePath().normalize();
    IncludePatterns includes = new IncludePatterns(request.includes());
    Map<String, Manifest.ManifestEntry> expected = new HashMap<>();
    item.entries(decryption).forEach(e -> expected.put(e.path(), e));
    String expectedSha = item.expectedSha256();
    // A hard link that --include takes needs the file it links to, which --include may leave out
    // (tar writes the content once, under the first name): that file is staged too, to give the
    // link its content, and is not moved into the target itself.
    Set<String> linkedOnly = new HashSet<>();
    for (Manifest.ManifestEntry e : expected.values()) {
      if ("hardlink".equals(e.type()) && e.link() != null && includes.includes(e.path())) {
        String to = new ArchiveEntry(e.link(), ArchiveEntry.Type.FILE, 0, 0, e.mtime(), 0, 0, "", "", null).normalizedName();
        if (!includes.includes(to)) {
          linkedOnly.add(to);
        }
      }
    }

    Path staging = PathRules.makeStaging(target);
    // by name: when an archive holds a name twice (tar -r appends), the later entry wins, as with tar
    Map<String, Staged> staged = new LinkedHashMap<>();
    Set<String> stagedFiles = new HashSet<>();
    long[] skipped = {0};
    List<String> damage = new ArrayList<>();
    try {
      ArchiveReader.Result read;
      try {
        read =
            ArchiveReader.read(
                item.backend(),
                key,
                decryption,
                (entry, content) -> {
                  String name = entry.normalizedName();
                  if (name.equals(".") || name.isEmpty() && entry.type() == ArchiveEntry.Type.DIRECTORY) {
                    return;
                  }
                  PathRules.unsafe(entry.name().startsWith("/") ? entry.name() : name)
                      .ifPresent(why -> {
                        throw new HoldfastException(ExitCode.FAILED,
                            "refusing to restore '" + entry.name() + "' from " + key + ": " + why
                                + "; it would be written outside the target",
                            "this archive was not written by Holdfast or was tampered with; inspect it with: tar -tvf");
                      });
                  if (!includes.includes(name)) {
                    if (linkedOnly.contains(name) && entry.type() == ArchiveEntry.Type.FILE) {
                      stage(key, target, staging, name, entry, content, expected, stagedFiles, damage, request, true);
                    }
                    return;
                  }
                  stage(key, target, staging, name, entry, content, expected, stagedFiles, damage, request, false);
                  if (entry.type() == ArchiveEntry.Type.OTHER) {
                    skipped[0]++;
                  } else {
                    staged.put(name, new Staged(name, entry));
                  }
                });
      } catch (HoldfastException e) {
        throw e;
      } catch (IOException e) {
        throw new HoldfastException(ExitCode.DAMAGED,
            "backup " + key + " is damaged or unreadable: " + describe(e) + "; nothing was restored",
            verifyHint(item, key), e);
      }
      if (expectedSha != null && !expectedSha.equals(read.objectSha256())) {
        damage.add("archive SHA-256 " + read.objectSha256() + " does not match its checksum sidecar (" + expectedSha + ")");
      }
      if (!damage.isEmpty()) {
        throw new HoldfastException(ExitCode.DAMAGED,
            "backup " + key + " failed its integrity check: " + damage.get(0)
                + (damage.size() > 1 ? " (and " + (damage.size() - 1) + " more)" : "") + "; nothing was restored",
            verifyHint(item, key));
      }
      if (!includes.isEmpty() && staged.isEmpty()) {
        throw HoldfastException.usage("no entry of " + key + " matches " + String.join(", ", request.includes()),
            "a pattern with a leading '/' is matched from the archive's root, one without at any depth (*.txt, notes); "
                + "list the paths with: tar -tf");
      }
      return commit(key, target, staging, List.copyOf(staged.values()), skipped[0]);
    } finally {
      PathRules.dropStaging(staging);
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    if (e instanceof java.io.EOFException) {
      return "it ends early (truncated)";
    }
    return m == null ? e.getClass().getSimpleName() : m;
  }

  private void stage(
      String key, Path target, Path staging, String name, ArchiveEntry entry, InputStream content,
      Map<String, Manifest.ManifestEntry> expected, Set<String> stagedFiles, List<String> damage,
      RestoreRequest request, boolean onlyForLinks) throws IOException {
    Path stagedPath = staging.resolve(name);
    Path finalPath = target.resolve(name);
    if (!stagedPath.normalize().startsWith(staging) || !finalPath.normalize().startsWith(target)) {
      throw new HoldfastException(ExitCode.FAILED,
          "refusing to restore '" + entry.name() + "' from " + key + ": it would be written outside the target");
    }
    PathRules.linkInParents(staging, stagedPath)
        .ifPresent(link -> {
          throw new HoldfastException(ExitCode.FAILED,
              "refusing to restore '" + entry.name() + "' from " + key + ": it goes through the symbolic link '"
                  + staging.relativize(link) + "' stored earlier in the same archive",
              "this archive was not written by Holdfast or was tampered with; inspect it with: tar -tvf");
        });
    // staged only so that hard links to it get its content: never moved into the target itself
    Path checked = onlyForLinks ? null : finalPath;
    PathRules.linkInParents(target, onlyForLinks ? target : finalPath)
        .ifPresent(link -> {
          throw new HoldfastException(ExitCode.FAILED,
              "refusing to restore '" + name + "': '" + link + "' in the target is a symbolic link",
              "restore into an empty directory, or remove the link");
        });
    if (checked != null && entry.type() != ArchiveEntry.Type.DIRECTORY && PathRules.exists(finalPath) && !request.overwrite()) {
      throw new HoldfastException(ExitCode.FAILED,
          "refusing to overwrite " + finalPath + " (restoring " + key + "); nothing was restored",
          "restore into an empty directory, or pass --overwrite");
    }
    if (entry.type() == ArchiveEntry.Type.DIRECTORY && PathRules.exists(finalPath)
        && !Files.isDirectory(finalPath, LinkOption.NOFOLLOW_LINKS) && !request.overwrite()) {
      throw new HoldfastException(ExitCode.FAILED,
          "refusing to replace " + finalPath + " with a directory (restoring " + key + ")",
          "restore into an empty directory, or pass --overwrite");
    }
    Files.createDirectories(stagedPath.getParent());
    if (entry.type() != ArchiveEntry.Type.DIRECTORY && PathRules.exists(stagedPath)
        && !Files.isDirectory(stagedPath, LinkOption.NOFOLLOW_LINKS)) {
      // replace an earlier entry of the same name, never write through it: a symlink could point
      // outside the target, a hard link would change the file it shares an inode with
      Files.delete(stagedPath);
      stagedFiles.remove(name);
    }
    switch (entry.type()) {
      case DIRECTORY -> Files.createDirectories(stagedPath);
      case FILE -> {
        MessageDigest md = Digests.sha256();
        byte[] buf = new byte[1 << 16];
        long total = 0;
        try (OutputStream out = Files.newOutputStream(stagedPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          int n;
          while ((n = content.read(buf)) > 0) {
            out.write(buf, 0, n);
            md.update(buf, 0, n);
            total += n;
            events.publish(new BackupEvent.BytesMoved(n));
          }
        }
        Manifest.ManifestEntry want = expected.get(name);
        String got = HexFormat.of().formatHex(md.digest());
        if (want != null && want.sha256() != null && !want.sha256().equals(got)) {
          damage.add("'" + name + "' has SHA-256 " + got + " but the manifest says " + want.sha256());
        }
        applyMetadata(stagedPath, entry);
        stagedFiles.add(name);
        events.publish(new BackupEvent.EntryDone(name, total));
      }
      case SYMLINK -> {
        Files.createSymbolicLink(stagedPath, Path.of(entry.linkTarget()));
        setTimesNoFollow(stagedPath, entry);
      }
      case HARDLINK -> {
        String linkName = new ArchiveEntry(entry.linkTarget(), ArchiveEntry.Type.FILE, 0, 0, entry.mtime(),
            0, 0, "", "", null).normalizedName();
        if (PathRules.unsafe(linkName).isPresent() || !stagedFiles.contains(linkName)) {
          if (PathRules.unsafe(linkName).isPresent()) {
            throw new HoldfastException(ExitCode.FAILED,
                "refusing to restore hard link '" + name + "' from " + key + " to '" + entry.linkTarget()
                    + "': it points outside the target");
          }
          events.publish(new BackupEvent.Warning(name,
              "hard link to '" + linkName + "', which is not being restored; skipped"));
          return;
        }
        Files.createLink(stagedPath, staging.resolve(linkName));
      }
      case OTHER -> events.publish(new BackupEvent.Warning(name, "special file (device or FIFO) not restored"));
    }
  }

  private RestoreResult commit(String key, Path target, Path staging, List<Staged> staged, long skipped) {
    long files = 0;
    long dirs = 0;
    long links = 0;
    long bytes = 0;
    List<Staged> directories = new ArrayList<>();
    try {
      for (Staged s : staged) {
        Path finalPath = target.resolve(s.name());
        Path stagedPath = staging.resolve(s.name());
        switch (s.entry().type()) {
          case DIRECTORY -> {
            PathRules.replaceWithDirectory(finalPath);
            directories.add(s);
            dirs++;
          }
          case FILE, SYMLINK, HARDLINK -> {
            if (!PathRules.exists(stagedPath)) {
              continue; // a skipped hard link
            }
            PathRules.moveIntoTarget(target, stagedPath, s.name());
            if (s.entry().type() == ArchiveEntry.Type.FILE) {
              files++;
              bytes += s.entry().size();
            } else {
              links++;
            }
          }
          case OTHER -> { }
        }
      }
      // directories last, deepest first, so setting a read-only mode cannot block their contents
      for (int i = directories.size() - 1; i >= 0; i--) {
        Staged d = directories.get(i);
        applyMetadata(target.resolve(d.name()), d.entry());
      }
    } catch (IOException e) {
      throw HoldfastException.io("moving restored files of " + key + " into " + target, e);
    }
    return new RestoreResult(key, files, dirs, links, bytes, skipped);
  }

  private void applyMetadata(Path p, ArchiveEntry e) throws IOException {
    if (asRoot) {
      try {
        Files.setAttribute(p, "unix:uid", (int) e.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", (int) e.gid(), LinkOption.NOFOLLOW_LINKS);
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException ignored) {
        // ownership is best effort (e.g. restoring onto a file system without owners)
      }
    }
    // after chown, which clears setuid/setgid; "unix:mode" keeps those bits, POSIX permissions cannot
    try {
      Files.setAttribute(p, "unix:mode", e.mode() & 07777);
    } catch (UnsupportedOperationException | IllegalArgumentException ex) {
      Files.setPosixFilePermissions(p, permissions(e.mode()));
    }
    Files.setLastModifiedTime(p, FileTime.from(e.mtime()));
  }

  private static void setTimesNoFollow(Path p, ArchiveEntry e) {
    try {
      Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(FileTime.from(e.mtime()), null, null);
    } catch (IOException ignored) {
      // link times are cosmetic
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < 9; i++) {
      if ((mode & (1 << i)) != 0) {
        s.add(all[i]);
      }
    }
    return s;
  }


  /** The command that checks backup {@code key} of the target {@code item} came from. */
  static String verifyHint(ArchiveCatalog.Item item, String key) {
    return "run: holdfast verify --from " + item.backend().targetUrl() + " " + key;
  }
}
