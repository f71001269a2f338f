package dev.holdfast.web;

import dev.holdfast.backend.Backend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.repository.FileMode;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.NodeType;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.restore.RepositoryRestore;
import dev.holdfast.restore.RestoreRequest;
import dev.holdfast.restore.RestoreResult;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * A repository snapshot as a {@link BackupTree}: directories are read from their tree blobs as they
 * are asked for (never the whole snapshot for one directory), file contents blob by blob, each blob
 * checked against its id when loaded. Names a tree may hold but a path cannot ('.', '..', '/' or
 * NUL in them) are never listed or served.
 */
final class RepositoryTree implements BackupTree {
  private final Repository repo;
  private final ObjectId snapshot;
  private final ObjectId root;

  private RepositoryTree(Repository repo, ObjectId snapshot, ObjectId root) {
    this.repo = repo;
    this.snapshot = snapshot;
    this.root = root;
  }

  /** Opens snapshot {@code id} (its full id) of the repository on {@code backend}; 404 when there is none. */
  static RepositoryTree open(Backend backend, String password, String id) {
    if (id == null || id.length() != 2 * ObjectId.LENGTH || !ObjectId.isHex(id)) {
      throw new WebError(404, "no snapshot '" + id + "' in " + backend.location() + " (give its full id)");
    }
    try {
      if (backend.stat("snapshots/" + id).isEmpty()) {
        throw new WebError(404, "no snapshot '" + id + "' in " + backend.location());
      }
    } catch (IOException e) {
      throw HoldfastException.io("looking for snapshot " + id.substring(0, 8) + " in " + backend.location(), e);
    }
    Repository repo = Repository.open(backend, password);
    try {
      ObjectId sid = ObjectId.parse(id);
      return new RepositoryTree(repo, sid, repo.loadSnapshot(sid).tree());
    } catch (RuntimeException e) {
      repo.close();
      throw e;
    }
  }

  /** Whether a target holds a repository ({@link Repository#existsAt}); a target that is gone holds none. */
  static boolean holdsRepository(Backend b) {
    try {
      return Repository.existsAt(b);
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw HoldfastException.io("looking for a repository at " + b.location(), e);
    }
  }

  @Override
  public String id() {
    return snapshot.hex();
  }

  private static boolean unsafeName(String n) {
    return n.equals(".") || n.equals("..") || n.contains("/") || n.indexOf('\0') >= 0;
  }

  private static String typeOf(NodeType t) {
    return switch (t) {
      case FILE -> "file";
      case DIR -> "dir";
      case SYMLINK -> "link";
      default -> "other";
    };
  }

  private static String mode(Node n) {
    return String.format("%04o", FileMode.toPosixPermissions(n.mode()));
  }

  private static ArchiveBrowser.Listed listed(String path, Node n) {
    return new ArchiveBrowser.Listed(path, typeOf(n.type()), n.type() == NodeType.FILE ? n.size() : 0, n.mtime(),
        n.linkTarget(), mode(n));
  }

  /** The node at {@code path}, reading one tree per component; empty for the root's "" (and when absent). */
  private Optional<Node> lookup(String path) {
    ObjectId tree = root;
    Node found = null;
    for (String part : path.split("/")) {
      if (tree == null) {
        return Optional.empty();
      }
      found = null;
      for (Node n : repo.loadTree(tree).nodes()) {
        if (n.name().equals(part) && !unsafeName(n.name())) {
          found = n;
          break;
        }
      }
      if (found == null) {
        return Optional.empty();
      }
      tree = found.type() == NodeType.DIR ? found.subtree() : null;
    }
    return Optional.ofNullable(found);
  }

  /** The tree blob of directory {@code dir}; 404 when it is not a directory of the snapshot. */
  private ObjectId treeOf(String dir) {
    if (dir.isEmpty()) {
      return root;
    }
    Node n = lookup(dir).orElseThrow(() -> new WebError(404, "no '" + dir + "' in this backup"));
    if (n.type() != NodeType.DIR) {
      throw new WebError(404, "'" + dir + "' is not a directory");
    }
    if (n.subtree() == null) {
      throw new HoldfastException(ExitCode.DAMAGED, "directory '" + dir + "' of snapshot " + snapshot.shortHex()
          + " has no subtree");
    }
    return n.subtree();
  }

  @Override
  public List<ArchiveBrowser.Node> children(String dir) {
    String prefix = dir.isEmpty() ? "" : dir + "/";
    List<ArchiveBrowser.Node> dirs = new ArrayList<>();
    List<ArchiveBrowser.Node> others = new ArrayList<>();
    for (Node n : repo.loadTree(treeOf(dir)).nodes()) { // sorted by name already
      if (unsafeName(n.name())) {
        continue;
      }
      ArchiveBrowser.Listed l = listed(prefix + n.name(), n);
      ArchiveBrowser.Node out = new ArchiveBrowser.Node(n.name(), l.path(), l.type(), l.size(), l.mtime(), l.link(), l.mode());
      (n.type() == NodeType.DIR ? dirs : others).add(out);
    }
    dirs.addAll(others);
    return dirs;
  }

  @Override
  public Optional<ArchiveBrowser.Listed> find(String path) {
    if (path.isEmpty()) {
      return Optional.of(new ArchiveBrowser.Listed("", "dir", 0, null, null, null));
    }
    return lookup(path).map(n -> listed(path, n));
  }

  @Override
  public List<ArchiveBrowser.Listed> below(String path) {
    List<ArchiveBrowser.Listed> out = new ArrayList<>();
    if (path.isEmpty()) {
      walk(root, "", out);
      return out;
    }
    Node n = lookup(path).orElseThrow(() -> new WebError(404, "no '" + path + "' in this backup"));
    out.add(listed(path, n));
    if (n.type() == NodeType.DIR && n.subtree() != null) {
      walk(n.subtree(), path + "/", out);
    }
    return out;
  }

  private void walk(ObjectId tree, String prefix, List<ArchiveBrowser.Listed> out) {
    for (Node n : repo.loadTree(tree).nodes()) {
      if (unsafeName(n.name())) {
        continue;
      }
      out.add(listed(prefix + n.name(), n));
      if (n.type() == NodeType.DIR && n.subtree() != null) {
        walk(n.subtree(), prefix + n.name() + "/", out);
      }
    }
  }

  /** Every blob is checked against its id as it is loaded, and the node's size against what was written. */
  @Override
  public boolean file(String path, ArchiveBrowser.FileSink sink) throws IOException {
    Optional<Node> n = lookup(path);
    if (n.isEmpty() || n.get().type() != NodeType.FILE) {
      return false;
    }
    OutputStream out = sink.open(n.get().size());
    try {
      repo.copyContent(n.get(), out);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    out.flush();
    return true;
  }

  @Override
  public void directory(String dir, OutputStream out) throws IOException {
    String base = dir.contains("/") ? dir.substring(0, dir.lastIndexOf('/') + 1) : "";
    GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out);
    TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, "UTF-8");
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    if (dir.isEmpty()) {
      writeTree(root, "", tar);
    } else {
      Node n = lookup(dir).orElseThrow(() -> new WebError(404, "no '" + dir + "' in this backup"));
      writeNode(n, dir.substring(base.length()), tar);
    }
    tar.finish();
    gz.finish();
    out.flush();
  }

  private void writeTree(ObjectId tree, String prefix, TarArchiveOutputStream tar) throws IOException {
    for (Node n : repo.loadTree(tree).nodes()) {
      if (!unsafeName(n.name())) {
        writeNode(n, prefix + n.name(), tar);
      }
    }
  }

  /** One node as a tar entry named {@code rel}, and below it for a directory; special files are left out. */
  private void writeNode(Node n, String rel, TarArchiveOutputStream tar) throws IOException {
    TarArchiveEntry t;
    switch (n.type()) {
      case DIR -> t = new TarArchiveEntry(rel + "/");
      case FILE -> {
        t = new TarArchiveEntry(rel);
        t.setSize(n.size());
      }
      case SYMLINK -> {
        t = new TarArchiveEntry(rel, TarArchiveEntry.LF_SYMLINK);
        t.setLinkName(n.linkTarget());
      }
      default -> {
        return;
      }
    }
    t.setMode(FileMode.toPosixPermissions(n.mode()));
    if (n.mtime() != null) {
      t.setModTime(n.mtime().toEpochMilli());
    }
    tar.putArchiveEntry(t);
    if (n.type() == NodeType.FILE) {
      try {
        repo.copyContent(n, tar); // a size other than the node's makes the tar stream refuse it
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    tar.closeArchiveEntry();
    if (n.type() == NodeType.DIR && n.subtree() != null) {
      writeTree(n.subtree(), rel + "/", tar);
    }
  }

  @Override
  public RestoreResult restore(String path, Path into, boolean overwrite, EventSink events) {
    List<String> includes = path.isEmpty() ? List.of() : List.of(RestoreFlow.escapeGlob(path));
    try (var lock = repo.lock(false)) { // shared, as the CLI's restore: a prune must not delete packs mid-restore
      return new RepositoryRestore(events).restore(repo, snapshot, new RestoreRequest(into, includes, overwrite));
    }
  }

  @Override
  public DatabaseRestore.Result restoreDatabase(DatabaseRestore.Request request, Map<String, String> env) {
    try (var lock = repo.lock(false)) {
      return new DatabaseRestore(null, env).restore(repo, snapshot, request);
    }
  }

  @Override
  public void close() {
    repo.close();
  }
}
