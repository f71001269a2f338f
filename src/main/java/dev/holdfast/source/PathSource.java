package dev.holdfast.source;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Files and directories under one or more paths (globs allowed in the last components), with
 * excludes, exclude-if-present marker files and an optional one-file-system rule. Entry paths are
 * the absolute paths without the leading '/', as GNU tar stores them.
 */
public final class PathSource implements Source {
  private final List<String> patterns;
  private final List<String> excludes;
  private final List<PathMatcher> nameExcludes = new ArrayList<>();
  private final List<PathMatcher> pathExcludes = new ArrayList<>();
  private final List<String> excludeIfPresent;
  private final boolean oneFileSystem;

  public PathSource(
      List<String> paths, List<String> excludes, List<String> excludeIfPresent, boolean oneFileSystem) {
    this.patterns = List.copyOf(paths);
    this.excludes = List.copyOf(excludes);
    this.excludeIfPresent = List.copyOf(excludeIfPresent);
    this.oneFileSystem = oneFileSystem;
    for (String ex : excludes) {
      // A pattern without '/' matches a name anywhere (like rsync/restic); with '/', the whole path.
      if (ex.contains("/")) {
        String p = ex.startsWith("/") ? ex : "**/" + ex;
        pathExcludes.add(FileSystems.getDefault().getPathMatcher("glob:" + stripTrailingSlash(p)));
      } else {
        nameExcludes.add(FileSystems.getDefault().getPathMatcher("glob:" + ex));
      }
    }
  }

  public static PathSource of(List<String> paths) {
    return new PathSource(paths, List.of(), List.of(), false);
  }

  private static String stripTrailingSlash(String s) {
    return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public String name() {
    return String.join(", ", patterns);
  }

  public List<String> excludes() {
    return excludes;
  }

  /** Expands the configured paths and globs to existing roots, or fails naming what is missing. */
  public List<Path> roots() {
    List<Path> roots = new ArrayList<>();
    for (String pattern : patterns) {
      List<Path> found = expand(pattern);
      if (found.isEmpty()) {
        boolean glob = hasGlob(pattern);
        throw new HoldfastException(
            ExitCode.USAGE,
            (glob ? "source pattern matches nothing: " : "source path does not exist: ") + pattern,
            "check the path, or remove it from the job's sources");
      }
      roots.addAll(found);
    }
    return roots;
  }

  @Override
  public void check() {
    roots();
  }

  private static boolean hasGlob(String s) {
    return s.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
  }

  private static List<Path> expand(String pattern) {
    Path abs = Path.of(pattern).toAbsolutePath().normalize();
    if (!hasGlob(pattern)) {
      return Files.exists(abs, LinkOption.NOFOLLOW_LINKS) ? List.of(abs) : List.of();
    }
    // Walk from the longest glob-free prefix, matching component by component.
    Path base = abs.getRoot();
    List<String> parts = new ArrayList<>();
    for (Path part : abs) {
      parts.add(part.toString());
    }
    List<Path> current = List.of(base);
    for (String part : parts) {
      List<Path> next = new ArrayList<>();
      for (Path dir : current) {
        if (!hasGlob(part)) {
          Path p = dir.resolve(part);
          if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            next.add(p);
          }
          continue;
        }
        if (!Files.isDirectory(dir)) {
          continue;
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + part);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
          for (Path child : ds) {
            if (m.matches(child.getFileName())) {
              next.add(child);
            }
          }
        } catch (IOException e) {
          // unreadable directory while expanding: treated as no match
        }
      }
      Collections.sort(next);
      current = next;
    }
    return current;
  }

  boolean excluded(Path p) {
    Path name = p.getFileName();
    if (name != null) {
      for (PathMatcher m : nameExcludes) {
        if (m.matches(name)) {
          return true;
        }
      }
    }
    for (PathMatcher m : pathExcludes) {
      if (m.matches(p)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Stream<Entry> entries(EventSink events) {
    List<Path> roots = roots();
    Walker walker = new Walker(roots, events);
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(walker, Spliterator.ORDERED | Spliterator.NONNULL),
            false)
        .onClose(walker::close);
  }

  static String entryPath(Path abs) {
    String s = abs.toString();
    while (s.startsWith("/")) {
      s = s.substring(1);
    }
    return s.isEmpty() ? "." : s;
  }

  /** Depth-first walk with one sorted directory listing in memory per level. */
  private final class Walker implements Iterator<Entry> {
    private final Deque<Iterator<Path>> stack = new ArrayDeque<>();
    private final Deque<Object> devices = new ArrayDeque<>();
    private final Map<Object, String> seenInodes = new HashMap<>();
    /** uid and gid to name: looked up once each, not per file (a lookup reads the passwd database). */
    private final Map<Long, String> owners = new HashMap<>();
    private final Map<Long, String> groups = new HashMap<>();
    private final java.util.Set<String> emittedParents = new java.util.HashSet<>();
    private final EventSink events;
    private final Deque<Entry> pending = new ArrayDeque<>();

    Walker(List<Path> roots, EventSink events) {
      this.events = events;
      stack.push(roots.iterator());
      devices.push(NO_DEVICE);
    }

    private static final Object NO_DEVICE = new Object();

    @Override
    public boolean hasNext() {
      while (pending.isEmpty()) {
        if (stack.isEmpty()) {
          return false;
        }
        Iterator<Path> top = stack.peek();
        if (!top.hasNext()) {
          stack.pop();
          devices.pop();
          continue;
        }
        visit(top.next(), stack.size() == 1);
      }
      return true;
    }

    @Override
    public Entry next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return pending.poll();
    }

    void close() {
      stack.clear();
    }

    private void visit(Path p, boolean isRoot) {
      if (!isRoot && excluded(p)) {
        return;
      }
      Map<String, Object> unix;
      try {
        // one lstat for everything, including what an incremental backup compares (inode, ctime)
        unix = Files.readAttributes(p, STAT, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return; // vanished between listing and reading: nothing to back up
      } catch (IOException e) {
        events.publish(new BackupEvent.Warning(p.toString(), "cannot read attributes: " + reason(e)));
        return;
      }
      Object dev = unix.get("dev");
      if (isRoot) {
        emitParents(p);
      }
      String path = entryPath(p);
      int mode = (Integer) unix.get("mode");
      Instant mtime = ((FileTime) unix.get("lastModifiedTime")).toInstant();
      long uid = ((Number) unix.get("uid")).longValue();
      long gid = ((Number) unix.get("gid")).longValue();
      String owner = Objects.requireNonNullElse(owners.computeIfAbsent(uid, u -> principal(p, "unix:owner")), "");
      String group = Objects.requireNonNullElse(groups.computeIfAbsent(gid, g -> principal(p, "unix:group")), "");
      if ((Boolean) unix.get("isSymbolicLink")) {
        String target;
        try {
          target = Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
          events.publish(new BackupEvent.Warning(p.toString(), "cannot read link: " + reason(e)));
          return;
        }
        pending.add(new Entry(path, Entry.Kind.SYMLINK, 0, mode, mtime, uid, gid, owner, group, target, null));
      } else if ((Boolean) unix.get("isDirectory")) {
        if (!isRoot && oneFileSystem && devices.peek() != NO_DEVICE && !devices.peek().equals(dev)) {
          return; // a mount point of another file system: skipped as the user asked
        }
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
          for (Path child : ds) {
            children.add(child);
          }
        } catch (IOException e) {
          events.publish(new BackupEvent.Warning(p.toString(), "cannot read directory: " + reason(e)));
          return;
        }
        for (String marker : excludeIfPresent) {
          if (children.stream().anyMatch(c -> c.getFileName().toString().equals(marker))) {
            return;
          }
        }
        Collections.sort(children);
        emittedParents.add(path);
        pending.add(new Entry(path, Entry.Kind.DIRECTORY, 0, mode, mtime, uid, gid, owner, group, null, null,
            ((Number) unix.get("ino")).longValue(), ((Number) dev).longValue(), ((FileTime) unix.get("ctime")).toInstant(),
            0, p));
        stack.push(children.iterator());
        devices.push(dev);
      } else if ((Boolean) unix.get("isRegularFile")) {
        long nlink = ((Number) unix.get("nlink")).longValue();
        if (nlink > 1) {
          Object inode = List.of(dev, unix.get("ino"));
          String first = seenInodes.putIfAbsent(inode, path);
          if (first != null) {
            pending.add(new Entry(path, Entry.Kind.HARDLINK, 0, mode, mtime, uid, gid, owner, group, first, null,
                ((Number) unix.get("ino")).longValue(), ((Number) dev).longValue(),
                ((FileTime) unix.get("ctime")).toInstant(), nlink));
            return;
          }
        }
        if (!Files.isReadable(p)) {
          events.publish(new BackupEvent.Warning(p.toString(), "permission denied"));
          if (nlink > 1) {
            seenInodes.remove(List.of(dev, unix.get("ino")));
          }
          return;
        }
        pending.add(
            new Entry(path, Entry.Kind.FILE, (Long) unix.get("size"), mode, mtime, uid, gid, owner, group, null,
                () -> Files.newInputStream(p), ((Number) unix.get("ino")).longValue(),
                ((Number) unix.get("dev")).longValue(), ((FileTime) unix.get("ctime")).toInstant(),
                nlink > 1 ? nlink : 0, p));
      } else {
        // sockets, FIFOs and devices are not backed up (restic stores FIFOs and devices as nodes;
        // we keep no such entry kind): said in the run log, not a warning, as nothing was unreadable
        String kind = switch (mode & 0170000) {
          case 0010000 -> "a FIFO";
          case 0140000 -> "a socket";
          case 0020000 -> "a character device";
          case 0060000 -> "a block device";
          default -> "a special file";
        };
        events.publish(new BackupEvent.Note("skipped " + p + ": " + kind + " is not backed up"));
      }
    }

    /** Adds the parent directories of a root so a restore recreates their modes and times. */
    private void emitParents(Path root) {
      List<Path> parents = new ArrayList<>();
      for (Path d = root.getParent(); d != null && d.getParent() != null; d = d.getParent()) {
        parents.add(d);
      }
      Collections.reverse(parents);
      for (Path d : parents) {
        String path = entryPath(d);
        if (!emittedParents.add(path)) {
          continue;
        }
        try {
          PosixFileAttributes a = Files.readAttributes(d, PosixFileAttributes.class);
          Map<String, Object> u = Files.readAttributes(d, "unix:mode,uid,gid");
          pending.add(
              new Entry(path, Entry.Kind.DIRECTORY, 0, (Integer) u.get("mode"),
                  a.lastModifiedTime().toInstant(), ((Number) u.get("uid")).longValue(),
                  ((Number) u.get("gid")).longValue(), name(a.owner()), name(a.group()), null, null));
        } catch (IOException e) {
          events.publish(new BackupEvent.Warning(d.toString(), "cannot read attributes: " + reason(e)));
        }
      }
    }
  }

  private static final String STAT =
      "unix:mode,uid,gid,ino,dev,nlink,ctime,size,lastModifiedTime,isSymbolicLink,isDirectory,isRegularFile";

  /** The owner or group name of {@code p} ({@code attribute} "unix:owner" or "unix:group"), null if unreadable. */
  private static String principal(Path p, String attribute) {
    try {
      return name((UserPrincipal) Files.getAttribute(p, attribute, LinkOption.NOFOLLOW_LINKS));
    } catch (IOException e) {
      return null;
    }
  }

  private static String name(UserPrincipal p) {
    return p == null ? "" : p.getName();
  }

  static String reason(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

}
