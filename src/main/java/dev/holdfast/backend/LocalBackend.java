package dev.holdfast.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A backend on a local directory (a disk, a USB drive, a mounted NAS share). Uploads go to a
 * {@code <name>.<random>.partial} file beside the final one, are fsynced, then published with a
 * hard link (which refuses to replace an existing object) or, on file systems without hard links,
 * an atomic rename.
 */
public final class LocalBackend implements Backend {
  static final String PARTIAL_SUFFIX = ".partial";
  private final Path root;

  public LocalBackend(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  @Override
  public String location() {
    return root.toString();
  }

  private Path path(String key) {
    return root.resolve(Backend.checkKey(key));
  }

  @Override
  public ObjectWriter create(String key) throws IOException {
    Path target = path(key);
    makeDirectories(target.getParent());
    Path tmp = target.resolveSibling(target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + PARTIAL_SUFFIX);
    return new LocalWriter(target, tmp, openTemporary(tmp));
  }

  private static void makeDirectories(Path dir) throws IOException {
    try {
      Files.createDirectories(dir);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // a file where a directory belongs: not "the object exists", which callers of content-named
      // objects take for success
      throw new java.nio.file.NotDirectoryException(e.getFile() == null ? dir.toString() : e.getFile());
    }
  }

  /** Creates an upload's temporary file, registered for deletion should the process be stopped first. */
  private static FileChannel openTemporary(Path tmp, StandardOpenOption... more) throws IOException {
    UNFINISHED.add(tmp); // before it exists: once the process is stopping, it is not created at all
    var options = new java.util.HashSet<>(List.of(more));
    options.add(StandardOpenOption.CREATE_NEW);
    options.add(StandardOpenOption.WRITE);
    try {
      return FileChannel.open(tmp, options);
    } catch (IOException | RuntimeException e) {
      UNFINISHED.remove(tmp);
      throw e;
    }
  }

  @Override
  public int deleteLeftovers(String prefix) throws IOException {
    Path dir = path(prefix);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<Path> partial;
    try (Stream<Path> all = Files.walk(dir)) {
      partial = all.filter(p -> p.getFileName().toString().endsWith(PARTIAL_SUFFIX) && Files.isRegularFile(p)).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    // not one of this process's own uploads
    return Leftovers.deleteEach(partial, p -> !UNFINISHED.contains(p) && Files.deleteIfExists(p));
  }

  @Override
  public boolean namesObjectsAfterWriting() {
    return true;
  }

  /**
   * A pack is written to a {@code .<random>.partial} file in the prefix's directory (never listed
   * as an object, nor by restic, which looks only in data's subdirectories) and linked under its
   * key once its hash is known: a backup keeps no pack in memory.
   */
  @Override
  public Optional<UnnamedWriter> createUnnamed(String prefix) throws IOException {
    Path dir = path(prefix);
    makeDirectories(dir);
    Path tmp = dir.resolve("." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + PARTIAL_SUFFIX);
    FileChannel channel = openTemporary(tmp, StandardOpenOption.READ); // read back: blobs of a pack not yet stored
    LocalWriter w = new LocalWriter(null, tmp, channel);
    return Optional.of(new UnnamedWriter() {
      @Override
      public void write(int b) throws IOException {
        w.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        w.write(b, off, len);
      }

      @Override
      public void commit(String key) throws IOException {
        Path target = path(key);
        makeDirectories(target.getParent());
        w.commitTo(target);
      }

      @Override
      public void readBack(long position, byte[] dst, int off, int len) throws IOException {
        java.nio.ByteBuffer into = java.nio.ByteBuffer.wrap(dst, off, len);
        while (into.hasRemaining()) {
          if (channel.read(into, position + into.position() - off) < 0) {
            throw new java.io.EOFException(tmp + " ends at " + (position + into.position() - off));
          }
        }
      }

      @Override
      public void close() {
        w.close();
      }
    });
  }

  @Override
  public InputStream open(String key, long offset, long length) throws IOException {
    SeekableByteChannel ch = Files.newByteChannel(path(key), StandardOpenOption.READ);
    ch.position(offset);
    InputStream in = Channels.newInputStream(ch);
    return length < 0 ? in : new BoundedInputStream(in, length);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    Path p = path(key);
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      if (!a.isRegularFile()) {
        return Optional.empty();
      }
      return Optional.of(new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) throws IOException {
    if (!Files.isDirectory(root)) {
      if (Files.exists(root)) {
        throw new java.nio.file.NotDirectoryException(root.toString());
      }
      throw new NoSuchFileException(root.toString(), null, "target directory does not exist");
    }
    // Walk the deepest directory that the prefix names completely, then filter by the rest.
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
    if (!Files.isDirectory(start)) {
      return Stream.empty();
    }
    return Files.walk(start)
        .filter(p -> !p.getFileName().toString().endsWith(PARTIAL_SUFFIX))
        .map(
            p -> {
              try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (!a.isRegularFile()) {
                  return null;
                }
                String key = root.relativize(p).toString();
                return new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant());
              } catch (NoSuchFileException e) {
                return null; // deleted while listing
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
        .filter(i -> i != null && i.key().startsWith(prefix));
  }

  @Override
  public void delete(String key) throws IOException {
    Path p = path(key);
    Files.deleteIfExists(p);
    // Remove directories left empty, up to the root, so deleted backups leave no litter.
    Path dir = p.getParent();
    while (dir != null && !dir.equals(root) && dir.startsWith(root)) {
      try (Stream<Path> s = Files.list(dir)) {
        if (s.findAny().isPresent()) {
          break;
        }
      } catch (NoSuchFileException e) {
        break;
      }
      try {
        Files.delete(dir);
      } catch (IOException e) {
        break; // another writer may have just created something here
      }
      dir = dir.getParent();
    }
  }

  @Override
  public java.util.OptionalLong freeSpace() {
    try {
      Path p = root;
      while (p != null && !Files.exists(p)) {
        p = p.getParent();
      }
      return p == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(Files.getFileStore(p).getUsableSpace());
    } catch (IOException e) {
      return java.util.OptionalLong.empty();
    }
  }

  @Override
  public void close() {}

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // Some file systems cannot open directories for fsync; the rename is still atomic.
    }
  }

  /**
   * Bytes a streamed upload writes between two background flushes. Without them a large archive's
   * data sits in the page cache (Linux starts writing back only at a tenth of RAM) until the final
   * fsync, which then waits for all of it: about 0.4 s for 600 MB on a fast disk, far longer on a USB
   * drive, with the machine's dirty memory growing meanwhile.
   */
  static final long WRITEBACK_STEP = 32L << 20;

  /** One daemon thread flushes every upload's data in the background; writers never wait for it. */
  private static final java.util.concurrent.ExecutorService WRITEBACK =
      java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "local-writeback");
        t.setDaemon(true);
        return t;
      });

  /**
   * The temporary files of uploads neither committed nor discarded yet. When the process is stopped
   * by SIGINT or SIGTERM (Ctrl-C, systemd, a killed cron job), its threads never reach their
   * cleanup, so a shutdown hook deletes these: an interrupted archive no longer leaves a
   * gigabyte-sized .partial file behind. (SIGKILL still can; such a file is never listed as an object.)
   */
  private static final dev.holdfast.error.ExitCleanup<Path> UNFINISHED =
      new dev.holdfast.error.ExitCleanup<>("local-partial-cleanup", p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort while the process ends
        }
      });

  private static final class LocalWriter extends ObjectWriter {
    private final Path target; // null for an unnamed upload: given to commitTo
    private final Path tmp;
    private final FileChannel channel;
    private final OutputStream out;
    private boolean committed;
    private boolean closed;
    private long unflushed;
    private java.util.concurrent.Future<?> flushing;
    /** A failed background flush: the data it covered may not be on disk, so commit must fail. */
    private volatile IOException flushFailure;

    LocalWriter(Path target, Path tmp, FileChannel channel) {
      this.target = target;
      this.tmp = tmp;
      this.channel = channel;
      this.out = Channels.newOutputStream(channel);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      unflushed += len;
      if (unflushed >= WRITEBACK_STEP && (flushing == null || flushing.isDone())) {
        // start writing back what is in the page cache now, while the upload goes on; the final
        // fsync in commit() then waits for the last few megabytes only
        unflushed = 0;
        flushing = WRITEBACK.submit(this::flushInBackground);
      }
    }

    private void flushInBackground() {
      try {
        channel.force(false);
      } catch (java.nio.channels.ClosedChannelException e) {
        // discarded meanwhile (close without commit): nothing to keep
      } catch (IOException e) {
        // Linux reports a write-back error to one fsync only: keep it for commit()
        flushFailure = e;
      }
    }

    private void awaitFlush() throws IOException {
      if (flushing != null) {
        try {
          flushing.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while syncing " + tmp);
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IOException("syncing " + tmp + ": " + e.getCause(), e.getCause());
        }
      }
      if (flushFailure != null) {
        throw flushFailure;
      }
    }

    @Override
    public void commit() throws IOException {
      commitTo(target);
    }

    void commitTo(Path target) throws IOException {
      if (closed) {
        throw new IOException("writer for " + target + " is closed");
      }
      awaitFlush();
      channel.force(true);
      channel.close();
      try {
        Files.createLink(target, tmp);
        Files.delete(tmp);
      } catch (FileAlreadyExistsException e) {
        throw new FileAlreadyExistsException(target.toString(), null, "object already exists");
      } catch (UnsupportedOperationException | IOException e) {
        if (e instanceof FileAlreadyExistsException) {
          throw e;
        }
        // No hard links here (FAT/exFAT USB drives): check, then rename atomically.
        if (Files.exists(target)) {
          throw new FileAlreadyExistsException(target.toString(), null, "object already exists");
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      }
      fsyncDirectory(target.getParent());
      committed = true;
      closed = true;
      UNFINISHED.remove(tmp);
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      try {
        channel.close();
      } catch (IOException ignored) {
        // rollback never throws
      }
      if (!committed) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a left-over .partial file is never listed as an object
        }
      }
      UNFINISHED.remove(tmp);
    }
  }
}
