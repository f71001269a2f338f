package dev.holdfast.repository;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import dev.holdfast.format.BackupRef;
import dev.holdfast.format.BackupWriter;
import dev.holdfast.source.Entry;
import dev.holdfast.source.Xattrs;
import java.io.IOException;
import java.io.InputStream;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes one backup into a repository as restic's {@code backup} does (design.rst "Backups and
 * Deduplication"): file content cut by the content-defined chunker into deduplicated data blobs,
 * one tree blob per directory built bottom-up as entries arrive in path order, and a snapshot
 * saved by {@link #finish()} after every pack and index file it refers to.
 */
public final class RepositoryWriter implements BackupWriter {

  /**
   * What the snapshot records besides the tree.
   *
   * @param paths the absolute paths that were backed up
   * @param hostname the host that made the backup
   * @param username who made it
   * @param tags tags (a job name, for example)
   * @param time when the backup started
   * @param programVersion the writer's name and version
   */
  public record SnapshotInfo(
      List<String> paths, String hostname, String username, List<String> tags, OffsetDateTime time, String programVersion) {
    public SnapshotInfo {
      paths = List.copyOf(paths);
      tags = List.copyOf(tags);
    }
  }

  /**
   * An open directory: its entry (null for one never seen, like the root), the nodes below it, and
   * the same directory's tree in the parent snapshot with its nodes by name (null and empty when
   * there is none).
   */
  private record Dir(String path, Entry entry, List<Node> children, ObjectId previousTree, Map<String, Node> previous,
      List<Future<Node>> reading) {
    Dir(String path, Entry entry, List<Node> children, ObjectId previousTree, Map<String, Node> previous) {
      this(path, entry, children, previousTree, previous, new ArrayList<>());
    }
  }

  /**
   * Files on disk are read, chunked and hashed on this many threads (as restic reads two files at
   * once): on one thread, reading, chunking and hashing a gigabyte took about 3.5 CPU-s, the
   * longest path of a first backup, while compression and encryption ran on the others.
   */
  private static final int READERS = Math.min(2, Runtime.getRuntime().availableProcessors());

  /** Files handed to the readers and not yet settled, at most: bounds the queue of a directory of millions. */
  private static final int READ_AHEAD = 64;

  private final Repository repo;
  private final SnapshotInfo info;
  private final Chunker chunker;
  private final RepositoryLock lock;
  private final Deque<Dir> open = new ArrayDeque<>();
  private long fileCount;
  private final EventSink events;
  private final StoredSnapshot parent;
  /**
   * Whether the parent snapshot's nodes hold the extended attributes their files had (restic's do;
   * holdfast's since it stores them, marked {@link #XATTRS_MARK} in their program version): then an
   * unchanged file's are its node's, else they are read again.
   */
  private final boolean parentHasXattrs;
  /** Ends the program version of snapshots whose nodes hold their files' extended attributes. */
  static final String XATTRS_MARK = "+xattrs";
  private final long storedBefore;
  private boolean done;
  /** The reader threads, made with the first file to read; null before and with one core. */
  private ExecutorService readers;
  private final Semaphore readAhead = new Semaphore(READ_AHEAD);
  /** Chunkers the readers are not using (each holds an 8 MiB buffer once used). */
  private final Queue<Chunker> spareChunkers = new ConcurrentLinkedQueue<>();
  /** What the readers report, published by the thread that calls add and finish (sinks need not be thread-safe). */
  private final Queue<BackupEvent> readerEvents = new ConcurrentLinkedQueue<>();
  /** Set when the backup is abandoned: readers stop at their next chunk. */
  private volatile boolean stopping;

  /** Starts a backup without reporting progress. */
  public RepositoryWriter(Repository repo, SnapshotInfo info) {
    this(repo, info, EventSink.NONE);
  }

  /** Starts a backup; holds a shared lock on the repository until finished or closed. */
  public RepositoryWriter(Repository repo, SnapshotInfo info, EventSink events) {
    this.repo = repo;
    this.info = info;
    this.events = events;
    this.chunker = new Chunker(repo.config().chunkerPolynomial());
    this.storedBefore = repo.storedBytes();
    this.lock = repo.lockForBackup(); // its second look for competing locks runs while the backup starts
    Repository.dropKeyDerivationGarbage(); // before the chunk arena and data packs are made
    try {
      this.parent = findParent(repo, info);
      String by = parent == null ? null : parent.snapshot().programVersion();
      this.parentHasXattrs = by != null && (by.startsWith("restic") || by.endsWith(XATTRS_MARK));
      ObjectId root = parent == null ? null : parent.snapshot().tree();
      open.push(new Dir("", null, new ArrayList<>(), root, root == null ? Map.of() : byName(repo.loadTree(root))));
    } catch (RuntimeException ex) {
      lock.close();
      throw ex;
    }
  }

  private long added;

  @Override
  public void add(Entry e) {
    if (done) {
      throw new IllegalStateException("backup already finished or closed");
    }
    lock.checkNotRaced();
    if ((++added & 255) == 0) {
      Repository.collectIfGrown();
    }
    if (e.path().equals(".")) {
      return; // the file system root ("/" backed up): its children are the root tree's nodes
    }
    String parent = parentOf(e.path());
    enter(parent);
    String name = e.path().substring(e.path().lastIndexOf('/') + 1);
    switch (e.kind()) {
      case DIRECTORY -> push(e.path(), e);
      case FILE -> {
        Node unchanged = unchanged(name, e);
        if (unchanged != null) {
          // its extended attributes too are the parent's, if it stored them: changing them changes the ctime
          Node n = withOwner(Node.file(name, FileMode.toGo(NodeType.FILE, e.permissions()), e.mtime(), e.uid(), e.gid(),
              unchanged.size(), unchanged.content()), e);
          addFile(parentHasXattrs ? n.withExtendedAttributesOf(unchanged) : withXattrs(n, e, events::publish),
              e);
        } else if (READERS > 1 && e.size() >= 0 && e.ctime() != null) {
          // a file on disk (it has a ctime): read on a reader thread, settled when its directory closes
          readLater(name, e);
        } else {
          // streams (dumps, command output) and sources whose entries must be read in order
          addFile(readFile(name, e, chunker, events::publish), e);
        }
      }
      case SYMLINK -> open.peek().children().add(withOwner(Node.symlink(name, FileMode.toGo(NodeType.SYMLINK, 0777),
          e.mtime(), e.uid(), e.gid(), e.linkTarget()), e));
      case HARDLINK -> {
        for (Dir d : open) {
          settle(d); // its first name may still be being read
        }
        // restic stores each name of a hard-linked file as a file with the same content, inode, device and
        // st_nlink; a restore links the names of one inode again (restic's restorer does the same). The
        // link count is the first name's, so the two nodes never disagree (restic links by inode alone)
        Node first = storedFile(e.linkTarget());
        if (first == null) { // its first name could not be read, and was left out with a warning
          events.publish(new BackupEvent.Warning("/" + e.path(),
              "hard link to " + e.linkTarget() + ", which this backup does not hold"));
          return;
        }
        open.peek().children().add(withOwner(Node.file(name, FileMode.toGo(NodeType.FILE, e.permissions()),
            e.mtime(), e.uid(), e.gid(), first.size(), first.content()), e).withLinks(first.links())
            .withExtendedAttributesOf(first)); // one inode, one set of attributes
        fileCount++;
      }
    }
  }

  /**
   * Finds a file added earlier: in an open directory's nodes, or through the trees already saved
   * below it. Hard links are rare, so this walk costs less than remembering every file.
   */
  private Node storedFile(String path) {
    Dir base = null;
    for (Dir d : open) { // innermost first
      if (isAncestor(d.path(), path)) {
        base = d;
        break;
      }
    }
    if (base == null) {
      return null;
    }
    String rest = base.path().isEmpty() ? path : path.substring(base.path().length() + 1);
    String[] parts = rest.split("/");
    List<Node> nodes = base.children();
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      Node n = nodes.stream().filter(x -> x.name().equals(part)).findFirst().orElse(null);
      if (n == null) {
        return null;
      }
      if (i == parts.length - 1) {
        return n.type() == NodeType.FILE ? n : null;
      }
      if (n.type() != NodeType.DIR) {
        return null;
      }
      nodes = repo.loadTree(n.subtree()).nodes();
    }
    return null;
  }

  /**
   * The parent snapshot, chosen as restic does (design.rst "Backups and Deduplication": the newest
   * one not newer than this backup, from the same host, covering all of its paths) and, since
   * different jobs may back up the same paths, also carrying this backup's tags (its job).
   */
  private static StoredSnapshot findParent(Repository repo, SnapshotInfo info) {
    StoredSnapshot best = null;
    for (StoredSnapshot s : repo.readableSnapshots()) {
      Snapshot sn = s.snapshot();
      if (Objects.equals(info.hostname(), sn.hostname())
          && sn.paths().containsAll(info.paths())
          && sn.tags().containsAll(info.tags())
          && !sn.time().toInstant().isAfter(info.time().toInstant())
          && (best == null || sn.time().toInstant().isAfter(best.snapshot().time().toInstant()))) {
        best = s;
      }
    }
    return best;
  }

  private void push(String path, Entry e) {
    String name = path.substring(path.lastIndexOf('/') + 1);
    Node before = open.peek().previous().get(name);
    boolean known = before != null && before.type() == NodeType.DIR && repo.hasBlob(BlobType.TREE, before.subtree());
    open.push(new Dir(path, e, new ArrayList<>(), known ? before.subtree() : null,
        known ? byName(repo.loadTree(before.subtree())) : Map.of()));
  }

  private static Map<String, Node> byName(Tree tree) {
    var m = new HashMap<String, Node>();
    tree.nodes().forEach(n -> m.put(n.name(), n));
    return m;
  }

  /** Closes directories until {@code dir} is the innermost open one, opening missing ones on the way. */
  private void enter(String dir) {
    while (!open.peek().path().equals(dir) && !isAncestor(open.peek().path(), dir)) {
      closeTop();
    }
    if (!open.peek().path().equals(dir)) {
      // A source that emits "a/b/file" without "a" and "a/b": directories without an entry of their own.
      String top = open.peek().path();
      String rest = top.isEmpty() ? dir : dir.substring(top.length() + 1);
      String path = top;
      for (String part : rest.split("/")) {
        path = path.isEmpty() ? part : path + "/" + part;
        push(path, null);
      }
    }
  }

  private static boolean isAncestor(String a, String b) {
    return a.isEmpty() || b.startsWith(a + "/");
  }

  private static String parentOf(String path) {
    int i = path.lastIndexOf('/');
    return i < 0 ? "" : path.substring(0, i);
  }

  /** Saves the innermost open directory's tree and adds its node to the parent. */
  private ObjectId closeTop() {
    settle(open.peek());
    Dir d = open.pop();
    ObjectId id = sameAsBefore(d) ? d.previousTree() : null;
    if (id == null) {
      Tree tree;
      try {
        tree = Tree.sorted(d.children());
      } catch (IllegalArgumentException ex) {
        throw new HoldfastException(ExitCode.FAILED,
            "entries of " + (d.path().isEmpty() ? "/" : d.path()) + " came out of order: " + ex.getMessage());
      }
      id = repo.saveTree(tree);
    }
    if (!open.isEmpty()) {
      Entry e = d.entry();
      String name = d.path().substring(d.path().lastIndexOf('/') + 1);
      Node n = e == null
          ? Node.dir(name, FileMode.toGo(NodeType.DIR, 0755), info.time().toInstant(), 0, 0, id)
          : withXattrs(withOwner(Node.dir(name, FileMode.toGo(NodeType.DIR, e.permissions()), e.mtime(), e.uid(), e.gid(), id),
              e), e, events::publish);
      open.peek().children().add(n);
    }
    return id;
  }

  /**
   * Whether a directory's nodes equal, field by field, those of its tree in the parent snapshot:
   * then that tree is this one, and an unchanged directory costs neither encoding nor hashing.
   * (A parsed node compares equal only if every field it models matches; fields it does not model,
   * such as extended attributes, cannot have changed without changing the ctime it compares.)
   */
  private static boolean sameAsBefore(Dir d) {
    if (d.previousTree() == null || d.children().size() != d.previous().size()) {
      return false;
    }
    for (Node n : d.children()) {
      if (!n.equals(d.previous().get(n.name()))) {
        return false;
      }
    }
    return true;
  }

  /** Adds a stored file's node (null: left out with a warning) to the innermost open directory. */
  private void addFile(Node n, Entry e) {
    if (n != null) {
      open.peek().children().add(n);
      fileCount++;
      events.publish(new BackupEvent.EntryDone(e.path(), n.size()));
    }
  }

  /** Hands a file to a reader thread; its node joins the directory when the directory is settled. */
  private void readLater(String name, Entry e) {
    if (readers == null) {
      readers = Executors.newFixedThreadPool(READERS, Thread.ofPlatform().daemon().name("holdfast-read-", 0).factory());
    }
    try {
      while (!readAhead.tryAcquire(200, TimeUnit.MILLISECONDS)) {
        publishReaderEvents();
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, "backup interrupted");
    }
    publishReaderEvents();
    Future<Node> f;
    try {
      f = readers.submit(() -> {
        Chunker c = spareChunkers.poll();
        try {
          if (c == null) {
            c = new Chunker(chunker.polynomial());
          }
          Node n = readFile(name, e, c, readerEvents::add);
          if (n != null) {
            readerEvents.add(new BackupEvent.EntryDone(e.path(), n.size()));
          }
          return n;
        } finally {
          if (c != null) {
            spareChunkers.offer(c);
          }
          readAhead.release();
        }
      });
    } catch (RuntimeException ex) {
      readAhead.release();
      throw ex;
    }
    open.peek().reading().add(f);
  }

  /**
   * Waits for the files of {@code d} that readers are still reading and adds their nodes, in the
   * order they were handed over (a tree's nodes are sorted by name anyway); the first failure is
   * rethrown. Reports the readers' progress while it waits.
   */
  private void settle(Dir d) {
    for (Future<Node> f : d.reading()) {
      while (!f.isDone()) {
        try {
          f.get(200, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException ex) {
          publishReaderEvents(); // a failure is rethrown below, after its warnings and progress
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new HoldfastException(ExitCode.INTERRUPTED, "backup interrupted");
        }
      }
      publishReaderEvents();
      Node n = HoldfastException.await(f, "backup"); // done: its node, or its failure as the reader threw it
      if (n != null) {
        d.children().add(n);
        fileCount++;
      }
    }
    d.reading().clear();
  }

  private void publishReaderEvents() {
    BackupEvent ev;
    while ((ev = readerEvents.poll()) != null) {
      events.publish(ev);
    }
  }

  /**
   * Chunks a file's content into data blobs with {@code c}, reporting to {@code report}. As in the
   * archive writer, a file that cannot be read is a warning and is left out (null; the run ends
   * "partial"), while a failing stream of unknown size (a dump) fails the backup: a cut-off dump
   * must never look complete.
   */
  private Node readFile(String name, Entry e, Chunker c, EventSink report) {
    var content = new ArrayList<ObjectId>();
    long[] size = {0};
    boolean opened = false;
    try (InputStream in = e.content().open()) {
      opened = true;
      c.split(in, (buf, off, len) -> {
        if (stopping) {
          throw new java.io.InterruptedIOException("backup abandoned");
        }
        content.add(repo.saveBlob(BlobType.DATA, buf, off, len));
        size[0] += len;
        report.publish(new BackupEvent.BytesMoved(len));
      });
    } catch (IOException ex) {
      if (e.size() < 0 || stopping) {
        throw HoldfastException.io("reading " + e.path(), ex);
      }
      String why = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
      report.publish(new BackupEvent.Warning("/" + e.path(),
          (opened ? "read error after " + size[0] + " bytes: " : "cannot open: ") + why));
      return null;
    }
    return withXattrs(withOwner(Node.file(name, FileMode.toGo(NodeType.FILE, e.permissions()), e.mtime(), e.uid(), e.gid(),
        size[0], content), e), e, report);
  }

  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  private final java.util.concurrent.atomic.AtomicBoolean xattrsUnavailableSaid = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Adds the extended attributes (with POSIX ACLs) of the entry's file or directory, as restic
   * stores them; an unchanged file keeps its parent node's when the parent stored them.
   * Streams have none; a failure to read them is a warning, the entry is kept without.
   */
  private Node withXattrs(Node n, Entry e, EventSink report) {
    if (e.file() == null) {
      return n;
    }
    if (Xattrs.unavailable() != null) {
      if (!xattrsUnavailableSaid.getAndSet(true)) {
        report.publish(new BackupEvent.Warning("/" + e.path(), "extended attributes and ACLs are not stored: "
            + Xattrs.unavailable()));
      }
      return n;
    }
    try {
      Map<String, byte[]> x = Xattrs.read(e.file(), ROOT);
      return x.isEmpty() ? n : n.withExtendedAttributes(x);
    } catch (IOException ex) {
      report.publish(new BackupEvent.Warning("/" + e.path(), "cannot read extended attributes: " + ex.getMessage()));
      return n;
    }
  }

  /**
   * The parent snapshot's node for this file if the file looks unchanged by restic's rules
   * (archiver.go fileChanged): same size, modification and status change time to the nanosecond,
   * same inode, and every content blob still in the index. A source that knows no ctime or inode
   * (0/null) is compared without them, like restic's --ignore-inode.
   */
  private Node unchanged(String name, Entry e) {
    Node before = open.peek().previous().get(name);
    if (before == null || before.type() != NodeType.FILE || e.size() < 0 || before.size() != e.size()
        || !before.mtime().equals(e.mtime()) || before.content() == null
        || (e.ctime() != null && !e.ctime().equals(before.ctime()))
        || (e.inode() != 0 && e.inode() != before.inode())) {
      return null;
    }
    for (ObjectId id : before.content()) {
      if (!repo.hasBlob(BlobType.DATA, id)) {
        return null;
      }
    }
    return before;
  }

  /** Adds what the entry knows beyond the node factories: owner names and, from a file system, ctime, inode and device. */
  private static Node withOwner(Node n, Entry e) {
    Node named = n.withOwner(blankToNull(e.owner()), blankToNull(e.group()));
    Node linked = e.links() > 1 ? named.withLinks(e.links()) : named;
    return e.ctime() == null ? linked : linked.withIdentity(e.ctime(), e.inode(), e.device());
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Saves the remaining trees, flushes packs and index, then stores the snapshot. */
  @Override
  public BackupRef finish() {
    if (done) {
      throw new IllegalStateException("backup already finished or closed");
    }
    while (open.size() > 1) {
      closeTop();
    }
    ObjectId root = closeTop();
    stopReaders(); // idle now: every directory was settled
    String version = info.programVersion();
    if (version != null && version.startsWith("holdfast") && Xattrs.unavailable() == null) {
      version += XATTRS_MARK;
    }
    var snapshot = new Snapshot(info.time(), parent == null ? null : parent.id(), root, info.paths(), info.hostname(), info.username(),
        0, 0, List.of(), info.tags(), null, version);
    lock.ensureHeld(); // a prune may have run while we had no valid lock: store no snapshot then
    ObjectId id = repo.saveSnapshot(snapshot);
    done = true;
    lock.close();
    // size: what this backup added to the repository after deduplication (lock files excluded)
    long added = repo.storedBytes() - storedBefore;
    return new BackupRef(id.hex(), info.time().toInstant(), info.tags().isEmpty() ? "" : info.tags().get(0),
        info.hostname(), added, fileCount, "repository", true, true);
  }

  /** Without {@link #finish()}: drops unflushed blobs (packs already uploaded stay as unreferenced data). */
  @Override
  public void close() {
    if (!done) {
      done = true;
      try {
        stopping = true;
        stopReaders(); // before the unflushed blobs are dropped: no reader saves one after that
        repo.discardUnflushed();
      } finally {
        lock.close();
      }
    }
  }

  /** Stops the reader threads (a reader stops at its next chunk once {@link #stopping} is set) and waits for them. */
  private void stopReaders() {
    ExecutorService r = readers;
    if (r == null) {
      return;
    }
    readers = null;
    if (stopping) {
      r.shutdownNow();
    } else {
      r.shutdown();
    }
    HoldfastException.awaitTermination(r, () -> stopping = true);
  }
}
