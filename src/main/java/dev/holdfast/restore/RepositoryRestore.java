package dev.holdfast.restore;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import dev.holdfast.repository.FileMode;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.BlobType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Restores a repository snapshot into a directory, as {@code restic restore} lays it out (the
 * snapshot's absolute paths below the target). Like an archive restore, everything is written into
 * a staging directory inside the target first (every blob checked against its id on the way), and
 * renamed into place only when the whole snapshot has been read: a damaged snapshot leaves the
 * target as it was.
 */
public final class RepositoryRestore {
  private final EventSink events;
  private final boolean asRoot;

  public RepositoryRestore(EventSink events) {
    this.events = events;
    this.asRoot = "root".equals(System.getProperty("user.name"));
  }

  private record Staged(String name, Node node) {}

  /** A file whose content is still to be written into the staging directory. */
  private record PendingFile(String name, Node node, Path stagedPath) {}

  /**
   * The names of hard-linked files (nodes with st_nlink above 1) met so far, by device and inode: the first
   * is written, later ones become links to it once it is ({@code pending}, as {link, existing file}).
   */
  private record HardLinks(Map<String, Path> first, List<Path[]> pending) {
    HardLinks() {
      this(new HashMap<>(), new ArrayList<>());
    }
  }

  /** Blobs decoded ahead of the one being written, beyond one per core: bounds memory (a blob is at most 8 MiB). */
  private static final int EXTRA_BLOBS_AHEAD = 2;

  /** Restores snapshot {@code snapshotId} of {@code repo}; {@code label} names it in messages. */
  public RestoreResult restore(Repository repo, ObjectId snapshotId, RestoreRequest request) {
    String label = "snapshot " + snapshotId.shortHex();
    Path target = request.target().toAbsolutePath().normalize();
    List<PathMatcher> includes = new ArrayList<>();
    for (String inc : request.includes()) {
      String p = inc.startsWith("/") ? inc.substring(1) : inc;
      includes.add(FileSystems.getDefault().getPathMatcher("glob:" + (p.endsWith("/") ? p.substring(0, p.length() - 1) : p)));
    }
    ObjectId root = repo.loadSnapshot(snapshotId).tree();
    Path staging;
    try {
      Files.createDirectories(target);
      staging = Files.createTempDirectory(target, ".holdfast-restore-");
    } catch (IOException e) {
      throw HoldfastException.io("preparing restore target " + target, e);
    }
    List<Staged> staged = new ArrayList<>();
    List<PendingFile> files = new ArrayList<>();
    HardLinks links = new HardLinks();
    long[] skipped = {0};
    try {
      stageTree(repo, label, root, "", target, staging, includes, request, staged, files, links, skipped);
      try {
        writeFiles(repo, label, files);
        for (Path[] link : links.pending()) {
          Files.createLink(link[0], link[1]);
        }
      } catch (IOException e) {
        throw HoldfastException.io("restoring the files of " + label + " into " + target, e);
      }
      if (!includes.isEmpty() && staged.isEmpty()) {
        throw HoldfastException.usage("nothing in " + label + " matches " + String.join(", ", request.includes()),
            "list its paths with: holdfast ls --from TARGET " + snapshotId.shortHex());
      }
      return commit(label, target, staging, staged, skipped[0]);
    } catch (UncheckedIOException e) {
      throw HoldfastException.io("restoring " + label + " into " + target, e.getCause());
    } finally {
      PathRules.deleteTree(staging);
    }
  }

  private void stageTree(Repository repo, String label, ObjectId treeId, String prefix, Path target, Path staging,
      List<PathMatcher> includes, RestoreRequest request, List<Staged> staged, List<PendingFile> files, HardLinks links,
      long[] skipped) {
    for (Node node : repo.loadTree(treeId).nodes()) {
      String n = node.name();
      if (n.equals(".") || n.equals("..") || n.contains("/") || n.indexOf('\0') >= 0) {
        throw new HoldfastException(ExitCode.FAILED,
            "refusing to restore '" + prefix + n + "' from " + label + ": a name in a tree may not be '.', '..' "
                + "or contain '/' or NUL; it could be written outside the target",
            "this repository was not written by Holdfast or restic, or was tampered with");
      }
      String name = prefix + n;
      PathRules.unsafe(name).ifPresent(why -> {
        throw new HoldfastException(ExitCode.FAILED, "refusing to restore '" + name + "' from " + label + ": " + why);
      });
      boolean wanted = ArchiveRestore.included(name, includes);
      try {
        if (wanted) {
          stage(label, name, node, target, staging, request, staged, files, links, skipped);
        }
      } catch (IOException e) {
        throw HoldfastException.io("restoring '" + name + "' of " + label + " into " + target, e);
      }
      if (node.type() == dev.holdfast.repository.NodeType.DIR && node.subtree() != null) {
        stageTree(repo, label, node.subtree(), name + "/", target, staging, includes, request, staged, files, links,
            skipped);
      }
    }
  }

  private void stage(String label, String name, Node node, Path target, Path staging,
      RestoreRequest request, List<Staged> staged, List<PendingFile> files, HardLinks links, long[] skipped)
      throws IOException {
    Path stagedPath = staging.resolve(name);
    Path finalPath = target.resolve(name);
    if (!stagedPath.normalize().startsWith(staging) || !finalPath.normalize().startsWith(target)) {
      throw new HoldfastException(ExitCode.FAILED,
          "refusing to restore '" + name + "' from " + label + ": it would be written outside the target");
    }
    PathRules.linkInParents(target, finalPath).ifPresent(link -> {
      throw new HoldfastException(ExitCode.FAILED,
          "refusing to restore '" + name + "': '" + link + "' in the target is a symbolic link",
          "restore into an empty directory, or remove the link");
    });
    boolean dir = node.type() == dev.holdfast.repository.NodeType.DIR;
    if (PathRules.exists(finalPath) && !request.overwrite()
        && (!dir || !Files.isDirectory(finalPath, LinkOption.NOFOLLOW_LINKS))) {
      throw new HoldfastException(ExitCode.FAILED,
          "refusing to overwrite " + finalPath + " (restoring " + label + "); nothing was restored",
          "restore into an empty directory, or pass --overwrite");
    }
    Files.createDirectories(stagedPath.getParent());
    switch (node.type()) {
      case DIR -> Files.createDirectories(stagedPath);
      case FILE -> {
        if (node.content() == null) {
          throw new HoldfastException(ExitCode.DAMAGED, "file " + name + " in " + label + " has no content list");
        }
        Path sameInode = node.links() > 1 && node.inode() != 0
            ? links.first().putIfAbsent(node.deviceId() + ":" + node.inode(), stagedPath) : null;
        if (sameInode != null) {
          links.pending().add(new Path[] {stagedPath, sameInode}); // linked once its first name is written
        } else {
          files.add(new PendingFile(name, node, stagedPath)); // written by writeFiles, after the walk
        }
      }
      case SYMLINK -> {
        Files.createSymbolicLink(stagedPath, Path.of(node.linkTarget()));
        try {
          Files.getFileAttributeView(stagedPath, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .setTimes(FileTime.from(node.mtime()), null, null);
        } catch (IOException ignored) {
          // link times are cosmetic
        }
      }
      default -> {
        events.publish(new BackupEvent.Warning(name, "special file (" + node.type().json() + ") not restored"));
        skipped[0]++;
        return;
      }
    }
    staged.add(new Staged(name, node));
  }

  /**
   * Writes every file's content, in order, while a pool of threads reads, decrypts, decompresses
   * and checks the next few blobs (across file boundaries, so that small files overlap too).
   */
  private void writeFiles(Repository repo, String label, List<PendingFile> files) throws IOException {
    int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    ExecutorService pool = Executors.newFixedThreadPool(threads,
        r -> Thread.ofPlatform().daemon().name("holdfast-restore-", 0).unstarted(r));
    try {
      Deque<Future<byte[]>> ahead = new ArrayDeque<>();
      int nextFile = 0;
      int nextBlob = 0; // the next blob to submit: files.get(nextFile).content().get(nextBlob)
      for (PendingFile f : files) {
        long written = 0;
        try (FileChannel out = FileChannel.open(f.stagedPath(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          for (int i = 0; i < f.node().content().size(); i++) {
            while (ahead.size() < threads + EXTRA_BLOBS_AHEAD && nextFile < files.size()) {
              List<ObjectId> content = files.get(nextFile).node().content();
              if (nextBlob >= content.size()) {
                nextFile++;
                nextBlob = 0;
                continue;
              }
              ObjectId id = content.get(nextBlob++);
              ahead.add(pool.submit(() -> repo.loadBlob(BlobType.DATA, id)));
            }
            byte[] chunk = take(ahead.poll());
            ByteBuffer buf = ByteBuffer.wrap(chunk);
            while (buf.hasRemaining()) {
              out.write(buf);
            }
            written += chunk.length;
            events.publish(new BackupEvent.BytesMoved(chunk.length));
          }
        }
        if (written != f.node().size()) {
          throw new HoldfastException(ExitCode.DAMAGED, "file " + f.name() + " in " + label + " has " + written
              + " bytes of content, its node says " + f.node().size());
        }
        applyMetadata(f.stagedPath(), f.node());
        events.publish(new BackupEvent.EntryDone(f.name(), written));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static byte[] take(Future<byte[]> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, "restore interrupted");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private RestoreResult commit(String label, Path target, Path staging, List<Staged> staged, long skipped) {
    long files = 0;
    long dirs = 0;
    long links = 0;
    long bytes = 0;
    List<Staged> directories = new ArrayList<>();
    try {
      for (Staged s : staged) {
        Path finalPath = target.resolve(s.name());
        Path stagedPath = staging.resolve(s.name());
        switch (s.node().type()) {
          case DIR -> {
            PathRules.replaceWithDirectory(finalPath);
            directories.add(s);
            dirs++;
          }
          default -> {
            PathRules.moveIntoTarget(target, stagedPath, s.name());
            if (s.node().type() == dev.holdfast.repository.NodeType.FILE) {
              files++;
              bytes += s.node().size();
            } else {
              links++;
            }
          }
        }
      }
      // directories last, deepest first, so a read-only mode cannot block their contents
      for (int i = directories.size() - 1; i >= 0; i--) {
        Staged d = directories.get(i);
        applyMetadata(target.resolve(d.name()), d.node());
      }
    } catch (IOException e) {
      throw HoldfastException.io("moving restored files of " + label + " into " + target, e);
    }
    return new RestoreResult(label, files, dirs, links, bytes, skipped);
  }

  private void applyMetadata(Path p, Node n) throws IOException {
    if (asRoot) {
      try {
        Files.setAttribute(p, "unix:uid", (int) n.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", (int) n.gid(), LinkOption.NOFOLLOW_LINKS);
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException ignored) {
        // ownership is best effort (e.g. restoring onto a file system without owners)
      }
    }
    int mode = FileMode.toPosixPermissions(n.mode());
    try {
      Files.setAttribute(p, "unix:mode", mode);
    } catch (UnsupportedOperationException | IllegalArgumentException ex) {
      Files.setPosixFilePermissions(p, ArchiveRestore.permissions(mode));
    }
    Files.setLastModifiedTime(p, FileTime.from(n.mtime()));
  }
}
