package dev.holdfast.repository;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A restic-format repository (design.rst; reads versions 1 and 2, creates version 2) on a
 * {@link Backend}: opens it with a password, keeps an
 * index of every blob, deduplicates and packs new blobs, and stores index and snapshot files in the
 * order that keeps the repository consistent at every moment (packs, then index, then snapshot).
 * Blobs saved since the last {@link #flush()} are not visible to other readers, and are lost if the
 * repository is closed without flushing. Thread-safe.
 */
public final class Repository implements AutoCloseable {
  /** restic's default pack size. */
  public static final int DEFAULT_PACK_SIZE = 16 << 20;

  /** restic starts a new index file after this many blobs (when compressed). */
  private static final int BLOBS_PER_INDEX = 150_000;

  /** restic also writes a partial index this often, so that a crash loses little work. */
  private static final long INDEX_EVERY_NANOS = TimeUnit.MINUTES.toNanos(10);

  /**
   * Plaintext that may wait for or be in compression and encryption at once (a chunk is at most 8
   * MiB): 10 MiB backs up as fast as 16 did (alternated runs, bench/README.md), with 6 MB less
   * resident memory.
   */
  private static final int QUEUED_BYTES = 10 << 20;

  private static final AtomicBoolean WARMED_UP = new AtomicBoolean();

  /** restic tries at most this many key files before giving up. */
  private static final int MAX_KEYS = 20;

  private final Backend backend;
  private final CryptoKey master;
  private final RepositoryConfig config;
  private BlobIndex index = new BlobIndex();
  /**
   * Set by {@link #openDeferringIndex} until the index files are read: by the first lock, while it
   * waits to see competing locks, or else by the first use of the index.
   */
  private volatile boolean indexPending;
  private final Map<BlobType, PackFile.Writer> packers = new EnumMap<>(BlobType.class);
  // Data packs, each one reusable array; a worker takes one, adds its blob and gives it back, so
  // there are at most as many as workers (write path: PackSpool or PackFile.Buffer).
  private final Deque<PackFile.DataPack> dataPacks = new ArrayDeque<>();
  // Data chunks waiting for or with the workers; tree blobs, which are small, queue as arrays of
  // their own, bounded by queuedBytes.
  private final ChunkArena arena = new ChunkArena(QUEUED_BYTES);
  // Blobs handed to the workers and not yet in an uploaded pack: they count as present, so a
  // chunk seen twice while the first copy is still being sealed is stored once.
  private final Set<Pending> pending = new HashSet<>();
  // Plaintext bytes queued for or being sealed by the workers: bounds the memory of a backup
  // whose reader is faster than compression.
  private final Semaphore queuedBytes = new Semaphore(QUEUED_BYTES);
  private final Semaphore uploads = new Semaphore(1);
  private ExecutorService workers;
  private int activeTasks;
  private Throwable workerFailure;
  // Bumped by discardUnflushed(): blobs sealed for an earlier generation are dropped.
  private long generation;
  private final List<IndexFile.Pack> unindexed = new ArrayList<>();
  private int packSize;
  private boolean compress = true;
  private long storedBytes;
  private int unindexedBlobs;
  private long lastIndexWrite = System.nanoTime();

  private record Pending(BlobType type, ObjectId id) {}

  private Repository(Backend backend, CryptoKey master, RepositoryConfig config, int packSize) {
    this.backend = backend;
    this.master = master;
    this.config = config;
    this.packSize = packSize;
  }

  /** Starts the JIT warm-up of the ciphers and hashes once per process. */
  private static void warmUp() {
    if (WARMED_UP.compareAndSet(false, true)) {
      Thread.ofPlatform().daemon().name("holdfast-crypto-warm-up").start(CryptoKey::warmUp);
    }
  }

  /** Blob bytes sealed or opened by this process, until the warm-up starts. */
  private static final AtomicLong BULK_CRYPTO = new AtomicLong();

  /**
   * Starts the warm-up once a run has sealed or opened {@link #WARM_UP_AFTER} bytes of blobs: a
   * run that moves data gains from AES and SHA-256 compiled early, while a re-run that moves
   * little (unchanged or 1% changed files) would spend more CPU on the warm-up and its C2
   * compilations than it could save (issue 9).
   */
  static void countBulkCrypto(long bytes) {
    if (!WARMED_UP.get() && BULK_CRYPTO.addAndGet(bytes) > WARM_UP_AFTER) {
      warmUp();
    }
  }

  private static final long WARM_UP_AFTER = 32L << 20;

  /** Creates a repository with a random chunker polynomial, as {@code restic init} does. */
  public static Repository init(Backend backend, String password) {
    return init(backend, password, Polynomial.random(new SecureRandom()).value());
  }

  /** Creates a repository with restic's layout and a key for {@code password}. */
  public static Repository init(Backend backend, String password, long chunkerPolynomial) {
    return init(backend, password, chunkerPolynomial, KdfParams.DEFAULT);
  }

  /**
   * Creates a repository; {@code chunkerPolynomial} must be irreducible of degree 53 (copy another
   * repository's to deduplicate with it).
   */
  public static Repository init(Backend backend, String password, long chunkerPolynomial, KdfParams kdf) {
    var pol = new Polynomial(chunkerPolynomial);
    if (pol.degree() != Polynomial.CHUNKER_DEGREE || !pol.isIrreducible()) {
      throw new IllegalArgumentException("chunker polynomial " + pol + " is not irreducible of degree 53");
    }
    try {
      if (backend.stat("config").isPresent()) {
        throw new HoldfastException(
            ExitCode.FAILED,
            "a repository already exists at " + backend.location(),
            "open it instead, or choose an empty target");
      }
      var config = RepositoryConfig.create(chunkerPolynomial);
      CryptoKey master = CryptoKey.random();
      // The key before the config: a config is what marks a repository, and it must be openable.
      addKey(backend, master, password, kdf);
      backend.put("config", master.seal(config.toJson()));
      return new Repository(backend, master, config, DEFAULT_PACK_SIZE);
    } catch (IOException e) {
      throw HoldfastException.io("creating a repository at " + backend.location(), e);
    }
  }

  /** Adds a key file so that {@code password} opens this repository too; returns its id. */
  public ObjectId addKey(String password, KdfParams kdf) {
    try {
      return addKey(backend, master, password, kdf);
    } catch (IOException e) {
      throw HoldfastException.io("adding a key to the repository at " + backend.location(), e);
    }
  }

  /** Writes a further key file for the same master key; returns its id. */
  static ObjectId addKey(Backend backend, CryptoKey master, String password, KdfParams kdf) throws IOException {
    var key =
        KeyFile.create(
            master, password, kdf, System.getProperty("user.name", ""), hostname(), OffsetDateTime.now());
    byte[] json = key.toJson();
    ObjectId id = ObjectId.hash(json);
    backend.put("keys/" + id.hex(), json);
    return id;
  }

  /** Whether a target holds a repository: a {@code config} object and key files at its root (restic's layout). */
  public static boolean existsAt(Backend b) throws IOException {
    if (b.stat("config").isEmpty()) {
      return false;
    }
    try (Stream<ObjectInfo> keys = b.list("keys/")) {
      return keys.findAny().isPresent();
    }
  }

  /** Opens a repository, trying the password against its key files, then loads every index file. */
  public static Repository open(Backend backend, String password) {
    Repository repo = openDeferringIndex(backend, password);
    repo.loadIndex();
    return repo;
  }

  /**
   * Reads the index files now, if they are not read yet: a damaged index, or one too large for
   * this run's heap, fails here.
   */
  public void loadIndex() {
    index();
  }

  /**
   * Opens a repository, trying the password against its key files; the index files are read by
   * the first {@link #lock} (after its lock file is written, in the 200 ms it waits anyway before
   * looking for competing locks again) or else by the first use of the index. A command that locks
   * reads the index only once its lock is in place, as restic does: an index read before could
   * still list packs that a prune finishing in between deletes.
   */
  public static Repository openDeferringIndex(Backend backend, String password) {
    try {
      Optional<ObjectInfo> configInfo = backend.stat("config");
      if (configInfo.isEmpty()) {
        throw new HoldfastException(
            ExitCode.TARGET_MISSING,
            "no repository at " + backend.location() + " (there is no config file)",
            "create one with init, or check the target");
      }
      CryptoKey master = unlock(backend, password);
      if (configInfo.get().size() > KeyFile.MAX_SIZE) {
        throw GoJson.damaged("config", "too large");
      }
      byte[] sealed = backend.readAll("config");
      byte[] json;
      try {
        json = master.open(sealed);
      } catch (CryptoKey.CiphertextException e) {
        throw GoJson.damaged("config", e.getMessage());
      }
      var repo = new Repository(backend, master, RepositoryConfig.parse(json), DEFAULT_PACK_SIZE);
      repo.indexPending = true;
      return repo;
    } catch (IOException e) {
      throw HoldfastException.io("opening the repository at " + backend.location(), e);
    }
  }

  private static CryptoKey unlock(Backend backend, String password) throws IOException {
    List<ObjectInfo> keys;
    try (Stream<ObjectInfo> s = backend.list("keys/")) {
      keys = s.sorted(Comparator.comparing(ObjectInfo::key)).limit(MAX_KEYS).toList();
    }
    HoldfastException damaged = null;
    for (ObjectInfo info : keys) {
      String name = info.key().substring("keys/".length());
      if (info.size() > KeyFile.MAX_SIZE) {
        damaged = new HoldfastException(ExitCode.WRONG_KEY, "key file " + name + " is damaged: too large");
        continue;
      }
      try {
        Optional<CryptoKey> master = KeyFile.parse(backend.readAll(info.key()), name).tryUnlock(password, name);
        if (master.isPresent()) {
          return master.get();
        }
      } catch (HoldfastException e) {
        damaged = e; // a key file we cannot use; another one may still fit the password
      }
    }
    if (damaged != null) {
      throw new HoldfastException(
          ExitCode.WRONG_KEY,
          "no key of the repository at " + backend.location() + " opens with this password; "
              + damaged.getMessage());
    }
    throw new HoldfastException(
        ExitCode.WRONG_KEY,
        "wrong password or no key found for it in the repository at " + backend.location(),
        keys.isEmpty() ? "the repository has no key files" : "check the password (file) for this target");
  }

  private BlobIndex index() {
    if (indexPending) {
      loadPendingIndex();
    }
    return index;
  }

  private static volatile boolean collectAfterKeyDerivation;

  /** Whether {@link #dropKeyDerivationGarbage} collects: set by the CLI for its one-run processes, not by the daemon. */
  public static void collectKeyDerivationGarbage(boolean collect) {
    collectAfterKeyDerivation = collect;
  }

  /**
   * For a command about to hold large buffers (a backup's chunk arena and packs, a restore's or
   * full verify's blob buffers, a prune's pack buffers): the key derivation left 32 MiB of scrypt state in the old
   * generation, where the serial collector keeps it until a full collection. Collected now, while
   * the heap is small (about 20 ms), its pages take those buffers instead of adding to the peak
   * resident memory. Only in a CLI process ({@link #collectKeyDerivationGarbage}): the daemon's
   * heap holds other runs, and a full collection of it would only pause them.
   */
  public static void dropKeyDerivationGarbage() {
    if (collectAfterKeyDerivation) {
      System.gc();
    }
  }

  private static long liveAfterCollect;

  /**
   * For a long backup in a CLI process: the serial collector grows the old generation up to the
   * maximum heap before it collects it, so the short-lived objects of many small files (tree nodes,
   * their JSON) that outlive a young collection pile up as resident memory (a 100,000-file backup
   * reached 260 MB for about 50 MB of live data). Called every few hundred files; collects in full
   * (about 20-50 ms at these sizes) once the heap holds 64 MiB more than was live after the last
   * collection. Not in the daemon (see {@link #collectKeyDerivationGarbage}).
   */
  static void collectIfGrown() {
    if (!collectAfterKeyDerivation) {
      return;
    }
    Runtime rt = Runtime.getRuntime();
    long used = rt.totalMemory() - rt.freeMemory();
    if (used > liveAfterCollect + (64L << 20)) {
      System.gc();
      liveAfterCollect = rt.totalMemory() - rt.freeMemory();
    }
  }

  /** Reads the index files if they are not read yet; true if this call read them. */
  synchronized boolean loadPendingIndex() {
    if (!indexPending) {
      return false;
    }
    try {
      index = loadIndexes();
    } catch (IOException e) {
      throw HoldfastException.io("reading the index of the repository at " + backend.location(), e);
    }
    indexPending = false;
    return true;
  }

  /**
   * Forgets an index read during a lock attempt that failed: until a lock is held, a prune may
   * change the index, so the next attempt reads it again.
   */
  synchronized void unloadIndex() {
    if (pending.isEmpty() && unindexed.isEmpty()) {
      index = new BlobIndex();
      indexPending = true;
    }
  }

  private BlobIndex loadIndexes() throws IOException {
    BlobIndex index = new BlobIndex();
    List<ObjectInfo> files;
    try (Stream<ObjectInfo> s = backend.list("index/")) {
      files = s.toList();
    }
    // One buffer for every file, decrypted in place and parsed as a stream: a repository of
    // millions of blobs loads its index without a copy of each file's plaintext or JSON, whose
    // garbage would otherwise pile up in the old generation (issue 9, memory).
    checkIndexFits(files.stream().mapToLong(ObjectInfo::size).sum());
    files = files.stream().filter(f -> ObjectId.isHex(f.key().substring("index/".length()))).toList(); // not temporary uploads
    long largest = files.stream().mapToLong(ObjectInfo::size).max().orElse(0);
    for (ObjectInfo f : files) {
      if (f.size() > UnpackedFile.MAX_PLAINTEXT) {
        throw GoJson.damaged("index " + f.key().substring("index/".length()), "too large (" + f.size() + " bytes)");
      }
    }
    // Read ahead on a few threads (Prefetch) into reused buffers, at most 64 MiB of them.
    int bufSize = (int) Math.max(1, largest);
    int window = (int) Math.max(1, Math.min(PREFETCH, (64L << 20) / bufSize));
    var buffers = new java.util.concurrent.ArrayBlockingQueue<byte[]>(window);
    record Read(byte[] buf, int n) {}
    Prefetch.inOrder(files, window, f -> {
      String name = f.key().substring("index/".length());
      byte[] buf = buffers.poll();
      if (buf == null) {
        buf = new byte[bufSize]; // at most window of them: each is given back before the next fetch starts
      }
      int n;
      try (var in = backend.open(f.key())) {
        n = in.readNBytes(buf, 0, (int) f.size());
      }
      if (!ObjectId.hash(buf, 0, n).hex().equals(name)) {
        throw GoJson.damaged("index " + name, "content does not match its name");
      }
      return new Read(buf, n);
    }, (f, read) -> {
      String what = "index " + f.key().substring("index/".length());
      try (var json = UnpackedFile.openStream(master, read.buf(), read.n(), config.version(), what)) {
        IndexFile.read(json, what, (pack, blobs) -> {
          for (PackedBlob b : blobs) {
            index.add(pack, b);
          }
        });
      }
      buffers.offer(read.buf());
    });
    return index;
  }

  /**
   * Refuses, before any work, an index that cannot fit into this JVM's heap: better one clear
   * message than an OutOfMemoryError in the middle of a backup. Index files take about 50 bytes
   * per blob (ids are random, they compress little) and the in-memory index about 60, so the
   * estimate errs low and only an index that surely does not fit is refused.
   */
  private void checkIndexFits(long indexFileBytes) {
    long blobs = indexFileBytes / 64;
    long need = blobs * 60 + HEAP_HEADROOM;
    long max = Runtime.getRuntime().maxMemory();
    if (max != Long.MAX_VALUE && need > max) {
      throw new HoldfastException(ExitCode.FAILED,
          "the index of the repository at " + backend.location() + " (about " + blobs / 1_000_000 + " million blobs) needs about "
              + (need >> 20) + " MiB of memory, more than this run's Java heap of " + (max >> 20) + " MiB",
          "raise the heap, e.g. HOLDFAST_JAVA_OPTS=-Xmx" + Math.max(1, (need * 3 / 2 + (1L << 30) - 1) >> 30) + "g");
    }
  }

  /** Heap a backup needs besides the index: chunker buffer, queued chunks, the workers' open packs. */
  private static final long HEAP_HEADROOM = 128L << 20;

  /** Reads an index, snapshot or lock file, checking that its name is the hash of its bytes. */
  private byte[] loadUnpacked(ObjectInfo info, String what) throws IOException {
    if (info.size() > UnpackedFile.MAX_PLAINTEXT) {
      throw GoJson.damaged(what, "too large (" + info.size() + " bytes)");
    }
    byte[] sealed = backend.readAll(info.key());
    String name = info.key().substring(info.key().lastIndexOf('/') + 1);
    if (!ObjectId.hash(sealed).hex().equals(name)) {
      throw GoJson.damaged(what, "content does not match its name");
    }
    return UnpackedFile.open(master, sealed, config.version(), what);
  }

  /** Stores an encrypted (and in v2 compressed) file under {@code dir/<hash>}; returns the hash. */
  private ObjectId saveUnpacked(String dir, byte[] json) {
    byte[] sealed = UnpackedFile.seal(master, json, config.version());
    ObjectId id = ObjectId.hash(sealed);
    put(dir + "/" + id.hex(), sealed);
    if (!dir.equals("locks")) { // locks come and go; they are not what a backup stored
      synchronized (this) {
        storedBytes += sealed.length;
      }
    }
    return id;
  }

  private void put(String key, byte[] bytes) {
    try {
      backend.put(key, bytes);
    } catch (FileAlreadyExistsException e) {
      // Named by content hash: an object under this name already holds these bytes.
    } catch (IOException e) {
      throw HoldfastException.io("storing " + key + " in " + backend.location(), e);
    }
  }

  public RepositoryConfig config() {
    return config;
  }

  public Backend backend() {
    return backend;
  }

  CryptoKey masterKey() {
    return master;
  }

  /** Target pack size; restic uses 4 to 128 MiB, tests use less to get many packs. */
  synchronized void setPackSize(int bytes) {
    this.packSize = bytes;
  }

  /** Whether data blobs are compressed (trees always are, in v2); restic's "--compression off" is false. */
  public synchronized void setCompression(boolean compress) {
    this.compress = compress;
  }

  /** Bytes of packs, index and snapshot files this instance has uploaded. */
  public synchronized long storedBytes() {
    return storedBytes;
  }

  /** Number of blobs in the index, including those saved but not yet flushed. */
  public synchronized int blobCount() {
    return index().size() + pending.size();
  }

  public synchronized boolean hasBlob(BlobType type, ObjectId id) {
    return index().contains(type, id) || pending.contains(new Pending(type, id));
  }

  /**
   * Stores a blob unless the repository has it already (design.rst "Backups and Deduplication");
   * returns its id, the SHA-256 of {@code data}. The blob is compressed, encrypted and uploaded in
   * the background; {@link #flush()} waits for that and reports the first failure.
   */
  public ObjectId saveBlob(BlobType type, byte[] data) {
    return saveBlob(type, data, 0, data.length);
  }

  /**
   * Stores {@code buf[off, off + len)} as a blob unless the repository has it; the range is copied
   * only when it is new, so the caller may reuse {@code buf} once this returns. Blocks while too
   * much plaintext waits for the workers.
   */
  public ObjectId saveBlob(BlobType type, byte[] buf, int off, int len) {
    ObjectId id = ObjectId.hash(buf, off, len);
    if (len > PackFile.MAX_BLOB - CryptoKey.OVERHEAD) {
      throw new IllegalArgumentException("blob of " + len + " bytes is too large");
    }
    boolean compressBlob;
    long gen;
    synchronized (this) {
      throwWorkerFailure();
      if (hasBlob(type, id)) {
        return id;
      }
      pending.add(new Pending(type, id));
      compressBlob = config.version() >= 2 && (compress || type == BlobType.TREE);
      gen = generation;
    }
    countBulkCrypto(len);
    boolean inArena = type == BlobType.DATA && len > 0;
    int permits = inArena ? 0 : Math.min(len, QUEUED_BYTES);
    byte[] plain;
    int plainOff;
    try {
      queuedBytes.acquire(permits);
      if (inArena) {
        plain = arena.array();
        plainOff = arena.put(buf, off, len);
      } else {
        plain = Arrays.copyOfRange(buf, off, off + len);
        plainOff = 0;
      }
    } catch (InterruptedException e) {
      queuedBytes.release(permits);
      Thread.currentThread().interrupt();
      synchronized (this) {
        pending.remove(new Pending(type, id));
      }
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while storing a blob");
    }
    synchronized (this) {
      activeTasks++;
    }
    try {
      workers().execute(() -> seal(type, id, plain, plainOff, len, inArena, compressBlob, permits, gen));
    } catch (RuntimeException e) {
      dequeue(inArena, plainOff, permits);
      synchronized (this) {
        activeTasks--;
        pending.remove(new Pending(type, id));
      }
      throw e;
    }
    return id;
  }

  private int workerCount = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  /**
   * Seals blobs on {@code n} threads instead of one per core (at most four). Each worker fills a pack
   * of its own, so with one worker the blobs of a run share packs in the order they were saved, which
   * tests of pack layouts rely on. Only before the first blob is saved.
   */
  synchronized void setWorkers(int n) {
    if (workers != null || n < 1) {
      throw new IllegalStateException("workers are set before the first blob, to at least one");
    }
    workerCount = n;
  }

  private synchronized ExecutorService workers() {
    if (workers == null) {
      int n = workerCount;
      var pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
          Thread.ofPlatform().daemon().name("holdfast-pack-", 0).factory()); // one factory: pack-0, pack-1, ...
      pool.allowCoreThreadTimeOut(true); // a repository left open by mistake keeps no idle threads
      workers = pool;
    }
    return workers;
  }

  /** A worker's part: compress and encrypt one blob, add it to its pack, upload the pack when full. */
  private void seal(BlobType type, ObjectId id, byte[] plain, int plainOff, int len, boolean inArena, boolean compressBlob,
      int permits, long gen) {
    boolean released = false;
    try {
      synchronized (this) {
        if (gen != generation || workerFailure != null) {
          return; // discarded, or the backup failed already
        }
      }
      if (type == BlobType.DATA) {
        PackFile.DataPack pack = takeDataPack();
        boolean full;
        try {
          if (!pack.fits(len, compressBlob)) {
            uploadDataPack(pack);
          }
          pack.add(BlobType.DATA, id, plain, plainOff, len, compressBlob);
          dequeue(inArena, plainOff, permits);
          released = true;
          full = pack.bytes() >= packSize;
          if (full) {
            uploadDataPack(pack);
          }
        } catch (Throwable t) {
          pack.reset(); // its blobs stay pending: the backup fails with this error
          throw t;
        } finally {
          synchronized (this) {
            dataPacks.push(pack);
          }
        }
        return;
      }
      PackFile.Sealed sealed = PackFile.seal(master, type, id, plain, compressBlob);
      queuedBytes.release(permits);
      released = true;
      PackFile.Writer full = null;
      synchronized (this) {
        if (gen != generation) {
          return;
        }
        PackFile.Writer packer = packers.computeIfAbsent(type, t -> new PackFile.Writer(master));
        packer.add(type, id, sealed.bytes(), sealed.blob().uncompressedLength());
        if (packer.size() >= packSize) {
          full = packers.remove(type);
        }
      }
      if (full != null) {
        // One pack upload at a time: each holds a whole pack (twice, briefly) in memory, and a
        // second one would mostly wait for the same disk or network anyway.
        uploads.acquireUninterruptibly();
        try {
          uploadPack(full);
        } finally {
          uploads.release();
        }
      }
    } catch (Throwable t) {
      synchronized (this) {
        if (workerFailure == null) {
          workerFailure = t;
        }
      }
    } finally {
      if (!released) {
        dequeue(inArena, plainOff, permits);
      }
      synchronized (this) {
        activeTasks--;
        notifyAll();
      }
    }
  }

  /** Frees a queued blob's place: its chunk in the arena, or its share of {@link #queuedBytes}. */
  private void dequeue(boolean inArena, int arenaOff, int permits) {
    if (inArena) {
      arena.release(arenaOff);
    }
    queuedBytes.release(permits);
  }

  /** A data pack for this worker alone until it gives it back (at most one per worker exists; see {@link PackFile.DataPack#on}). */
  private PackFile.DataPack takeDataPack() {
    synchronized (this) {
      PackFile.DataPack p = dataPacks.poll();
      if (p != null) {
        return p;
      }
    }
    return PackFile.DataPack.on(backend, master, packSize);
  }

  /** Stores a data pack, indexes it, and empties it for reuse. */
  private void uploadDataPack(PackFile.DataPack pack) {
    if (pack.count() == 0) {
      return;
    }
    PackFile.Stored stored = pack.store();
    packStored(stored.id(), stored.blobs(), stored.length());
  }

  /** Waits until every blob handed to the workers is in a pack (and every full pack uploaded). */
  private synchronized void awaitWorkers() {
    boolean interrupted = false;
    while (activeTasks > 0) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized void throwWorkerFailure() {
    Throwable t = workerFailure;
    if (t == null) {
      return;
    }
    if (t instanceof HoldfastException h) {
      throw new HoldfastException(h.exitCode(), h.getMessage(), h.hint(), h);
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new HoldfastException(ExitCode.FAILED, "storing blobs in " + backend.location() + " failed: " + t, null, t);
  }

  public ObjectId saveTree(Tree tree) {
    return saveBlob(BlobType.TREE, tree.toJson());
  }

  private void uploadPack(PackFile.Writer packer) {
    if (packer == null || packer.count() == 0) {
      return;
    }
    List<PackedBlob> blobs = packer.blobs();
    byte[] pack = packer.finish();
    ObjectId packId = ObjectId.hash(pack);
    put(packKey(packId), pack);
    packStored(packId, blobs, pack.length);
  }

  /** Records an uploaded pack: its blobs move from pending to the index. */
  private void packStored(ObjectId packId, List<PackedBlob> blobs, long length) {
    synchronized (this) {
      storedBytes += length;
      for (PackedBlob b : blobs) {
        index().add(packId, b);
        pending.remove(new Pending(b.type(), b.id()));
      }
      unindexed.add(new IndexFile.Pack(packId, blobs));
      unindexedBlobs += blobs.size();
      // A long backup publishes its packs' index as it goes: the next run (or one after a crash)
      // deduplicates against them instead of uploading the same data again.
      if (unindexedBlobs >= BLOBS_PER_INDEX || System.nanoTime() - lastIndexWrite > INDEX_EVERY_NANOS) {
        writeIndex();
      }
    }
  }

  static String packKey(ObjectId pack) {
    String hex = pack.hex();
    return "data/" + hex.substring(0, 2) + "/" + hex;
  }

  /**
   * Waits for the workers, uploads the open packs, then index files describing every pack uploaded
   * since the last flush; throws the first failure of a worker.
   */
  public void flush() {
    awaitWorkers();
    PackFile.Writer data;
    PackFile.Writer tree;
    List<PackFile.DataPack> open;
    synchronized (this) {
      throwWorkerFailure();
      data = packers.remove(BlobType.DATA);
      tree = packers.remove(BlobType.TREE);
      open = List.copyOf(dataPacks); // the workers are done: every data pack is back
      dataPacks.clear(); // taken out while uploading, so a worker can only start a fresh one
    }
    try {
      for (PackFile.DataPack p : open) {
        uploadDataPack(p);
      }
    } finally {
      synchronized (this) {
        for (PackFile.DataPack p : open) {
          p.reset(); // empty after an upload; after a failure its blobs stay pending (the backup fails)
          dataPacks.push(p);
        }
      }
    }
    uploadPack(data);
    uploadPack(tree);
    synchronized (this) {
      writeIndex();
    }
  }

  private void writeIndex() {
    RepositoryLock unconfirmed = awaitingRecheck;
    if (unconfirmed != null) {
      unconfirmed.recheck(); // index files name our packs: only under a lock known to be ours alone
      unconfirmed.throwIfRaced();
    }
    var batch = new ArrayList<IndexFile.Pack>();
    int blobs = 0;
    for (IndexFile.Pack p : unindexed) {
      if (!batch.isEmpty() && blobs + p.blobs().size() > BLOBS_PER_INDEX) {
        saveUnpacked("index", new IndexFile(List.of(), batch).toJson());
        batch = new ArrayList<>();
        blobs = 0;
      }
      batch.add(p);
      blobs += p.blobs().size();
    }
    if (!batch.isEmpty()) {
      saveUnpacked("index", new IndexFile(List.of(), batch).toJson());
    }
    unindexed.clear();
    unindexedBlobs = 0;
    lastIndexWrite = System.nanoTime();
  }

  /**
   * Reads a blob with one ranged read and checks it against its id; blobs saved but not yet
   * flushed are read from the open pack.
   */
  public byte[] loadBlob(BlobType type, ObjectId id) {
    BlobIndex.Location loc;
    synchronized (this) {
      if (pending.contains(new Pending(type, id))) {
        awaitWorkers(); // rare (hard links, tests): the blob may still be with a worker
        throwWorkerFailure();
      }
      Optional<BlobIndex.Location> found = index().lookup(type, id);
      if (found.isEmpty()) {
        PackFile.Writer packer = packers.get(type);
        Optional<PackFile.Sealed> open = packer == null ? Optional.empty() : packer.find(type, id);
        for (PackFile.DataPack p : dataPacks) {
          open = open.isPresent() ? open : p.find(type, id);
        }
        if (open.isPresent()) {
          return decode(open.get().blob(), open.get().bytes(), type.json() + " blob " + id.shortHex() + " in an open pack");
        }
        throw new HoldfastException(
            ExitCode.DAMAGED, type.json() + " blob " + id.shortHex() + " is not in the repository's index");
      }
      loc = found.get();
    }
    PackedBlob b = loc.blob();
    String what = type.json() + " blob " + id.shortHex() + " in pack " + loc.pack().shortHex();
    return decode(b, PackFile.read(backend, packKey(loc.pack()), b.offset(), b.length(), what), what);
  }

  private byte[] decode(PackedBlob b, byte[] sealed, String what) {
    countBulkCrypto(sealed.length);
    byte[] plain;
    try {
      plain = master.open(sealed);
    } catch (CryptoKey.CiphertextException e) {
      throw GoJson.damaged(what, e.getMessage());
    }
    if (b.compressed()) {
      plain = ZstdFrames.decompressExact(plain, 0, plain.length, b.uncompressedLength());
      if (plain == null) {
        throw GoJson.damaged(what, "invalid zstd data");
      }
    }
    if (!ObjectId.hash(plain).equals(b.id())) {
      throw GoJson.damaged(what, "content does not match its id");
    }
    return plain;
  }

  public Tree loadTree(ObjectId id) {
    return Tree.parse(loadBlob(BlobType.TREE, id), "tree " + id.shortHex());
  }

  /** Writes a file node's content, blob by blob, to {@code out}; checks the size the node states. */
  public void copyContent(Node file, OutputStream out) {
    if (file.content() == null) {
      throw new IllegalArgumentException(file.name() + " is not a file");
    }
    long written = 0;
    try {
      for (ObjectId id : file.content()) {
        byte[] chunk = loadBlob(BlobType.DATA, id);
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing the content of " + file.name(), e);
    }
    if (written != file.size()) {
      throw new HoldfastException(
          ExitCode.DAMAGED,
          "file " + file.name() + " has " + written + " bytes of content, its node says " + file.size());
    }
  }

  /** Flushes, then stores the snapshot: it never refers to data that is not stored and indexed. */
  public ObjectId saveSnapshot(Snapshot snapshot) {
    flush();
    synchronized (this) {
      if (!index().contains(BlobType.TREE, snapshot.tree())) {
        throw new IllegalArgumentException("snapshot tree " + snapshot.tree().shortHex() + " is not stored");
      }
    }
    return saveUnpacked("snapshots", snapshot.toJson());
  }

  public Snapshot loadSnapshot(ObjectId id) {
    String key = "snapshots/" + id.hex();
    try {
      ObjectInfo info =
          backend
              .stat(key)
              .orElseThrow(
                  () -> new HoldfastException(ExitCode.TARGET_MISSING, "no snapshot " + id.shortHex() + " in " + backend.location()));
      String what = "snapshot " + id.shortHex();
      return Snapshot.parse(loadUnpacked(info, what), what);
    } catch (IOException e) {
      throw HoldfastException.io("reading snapshot " + id.shortHex() + " from " + backend.location(), e);
    }
  }

  /** Index files and snapshots read at a time (Prefetch): round trips to a remote target overlap. */
  private static final int PREFETCH = 8;

  /** Every snapshot, oldest first; a damaged snapshot file fails the call (exit 4, naming it). */
  public List<StoredSnapshot> listSnapshots() {
    SnapshotListing l = readSnapshots();
    if (!l.damaged().isEmpty()) {
      throw new HoldfastException(ExitCode.DAMAGED, l.damaged().get(0),
          "holdfast verify --from " + backend.targetUrl() + " reports every damaged file");
    }
    return l.snapshots();
  }

  /**
   * Every snapshot that can be read, oldest first. A damaged snapshot file is skipped with a
   * warning (to the sink of {@link #setLockPolicy}), as restic skips it: one bad file must not
   * keep the user from the other snapshots, from new backups or from forgetting it. Prune and
   * verify, which must see every snapshot, use {@link #listSnapshots} and {@link #readSnapshots}.
   */
  public List<StoredSnapshot> readableSnapshots() {
    SnapshotListing l = readSnapshots();
    for (String d : l.damaged()) {
      lockEvents.publish(new dev.holdfast.event.BackupEvent.Attention(d + "; skipped (the other snapshots are "
          + "usable; holdfast verify reports it, prune refuses to run until the file is restored or removed)"));
    }
    return l.snapshots();
  }

  /** The snapshots read, oldest first, and what is wrong with each file that could not be read. */
  public record SnapshotListing(List<StoredSnapshot> snapshots, List<String> damaged) {}

  /** Reads every snapshot file; damage is collected, not thrown. I/O failures are thrown. */
  public SnapshotListing readSnapshots() {
    record Loaded(StoredSnapshot snapshot, String damage) {}
    try {
      List<ObjectInfo> files;
      try (Stream<ObjectInfo> s = backend.list("snapshots/")) {
        files = s.toList();
      }
      var out = new ArrayList<StoredSnapshot>();
      var damaged = new ArrayList<String>();
      files = files.stream().filter(f -> ObjectId.isHex(f.key().substring("snapshots/".length()))).toList();
      Prefetch.inOrder(files, PREFETCH, f -> {
        String name = f.key().substring("snapshots/".length());
        String what = "snapshot " + name.substring(0, 8);
        try {
          return new Loaded(new StoredSnapshot(ObjectId.parse(name), Snapshot.parse(loadUnpacked(f, what), what)), null);
        } catch (HoldfastException e) {
          if (e.exitCode() != ExitCode.DAMAGED) {
            throw e;
          }
          return new Loaded(null, e.getMessage());
        }
      }, (f, loaded) -> {
        if (loaded.snapshot() != null) {
          out.add(loaded.snapshot());
        } else {
          damaged.add(loaded.damage());
        }
      });
      out.sort(Comparator.comparing((StoredSnapshot s) -> s.snapshot().time().toInstant()).thenComparing(StoredSnapshot::id));
      return new SnapshotListing(out, damaged);
    } catch (IOException e) {
      throw HoldfastException.io("listing snapshots in " + backend.location(), e);
    }
  }

  private volatile java.time.Duration lockRetry = java.time.Duration.ZERO;
  private volatile dev.holdfast.event.EventSink lockEvents = dev.holdfast.event.EventSink.NONE;

  /**
   * How {@link #lock} treats a live conflicting lock (retries for {@code retry}, restic's
   * --retry-lock) and where it reports stale locks it removed.
   */
  public void setLockPolicy(java.time.Duration retry, dev.holdfast.event.EventSink events) {
    this.lockRetry = retry;
    this.lockEvents = events;
  }

  /** A warning where this repository reports them (as a skipped damaged snapshot is). */
  void attention(String message) {
    lockEvents.publish(new dev.holdfast.event.BackupEvent.Attention(message));
  }

  /** Takes a shared or exclusive lock; close it to release. */
  public RepositoryLock lock(boolean exclusive) {
    return RepositoryLock.acquire(this, exclusive, lockRetry, lockEvents);
  }

  /**
   * A shared lock for a backup, returned without the 200 ms wait before the second look for
   * competing locks: that look is made on the lock's refresh thread while the backup reads its
   * parent snapshot and first files. Until it is done the backup may write packs (unreferenced
   * data a prune may remove), but no index file: {@link #writeIndex} waits for it, and a conflict
   * it found fails the write with exit 11; so does {@link RepositoryLock#ensureHeld} before the
   * snapshot. Unlike {@link #lock}, a conflict found by that second look is not retried.
   */
  public RepositoryLock lockForBackup() {
    return RepositoryLock.acquire(this, false, lockRetry, lockEvents, true);
  }

  /** A lock whose recheck is still due: index files wait for it. */
  private volatile RepositoryLock awaitingRecheck;

  void awaitLockRecheck(RepositoryLock lock) {
    awaitingRecheck = lock;
  }

  /** Whether a lock's deferred recheck is still due (tests). */
  boolean awaitsLockRecheck() {
    return awaitingRecheck != null;
  }

  void lockRechecked(RepositoryLock lock) {
    if (awaitingRecheck == lock) {
      awaitingRecheck = null;
    }
  }

  ObjectId saveLockFile(byte[] json) {
    return saveUnpacked("locks", json);
  }

  byte[] loadLockFile(ObjectInfo info) throws IOException {
    return loadUnpacked(info, "lock " + info.key().substring(info.key().lastIndexOf('/') + 1));
  }

  /** The kernel's host name, as Go's os.Hostname() reads it, so restic's stale-lock check matches ours. */
  static String hostname() {
    try {
      String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      if (!h.isEmpty()) {
        return h;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /**
   * Forgets blobs still in open packs: they are never uploaded. Packs already uploaded stay
   * known, and the next flush indexes them, since later blobs may have been deduplicated against
   * them.
   */
  public synchronized void discardUnflushed() {
    generation++;
    packers.clear();
    pending.clear();
    // A pack upload under way finishes first, so a caller that releases its lock next never
    // leaves an upload running without one.
    awaitWorkers();
    dataPacks.forEach(PackFile.DataPack::reset);
  }

  /** Every pack the index files name with the blobs they list in it, read again from the backend (for checks). */
  public List<IndexFile.Pack> readIndex() {
    List<IndexFile.Pack> packs = new java.util.ArrayList<>();
    try {
      List<ObjectInfo> files;
      try (Stream<ObjectInfo> s = backend.list("index/")) {
        files = s.toList();
      }
      files = files.stream().filter(f -> ObjectId.isHex(f.key().substring("index/".length()))).toList();
      Prefetch.inOrder(files, PREFETCH, f -> {
        String what = "index " + f.key().substring("index/".length());
        return IndexFile.parse(loadUnpacked(f, what), what).packs();
      }, (f, listed) -> packs.addAll(listed));
    } catch (IOException e) {
      throw HoldfastException.io("reading the index of the repository at " + backend.location(), e);
    }
    return packs;
  }

  /** The backend key of a pack file ({@code data/<first two hex digits>/<id>}). */
  public static String packKeyOf(ObjectId pack) {
    return packKey(pack);
  }

  /** The blobs the (encrypted) header of a pack of {@code size} bytes lists; damage is exit 4 naming the pack. */
  public List<PackedBlob> readPackHeader(ObjectId pack, long size) {
    return PackFile.readHeader(backend, packKey(pack), size, master);
  }

  /** Reads blob {@code b} from {@code pack} as stored there, decrypts, decompresses and checks it against its id. */
  public byte[] loadBlob(ObjectId pack, PackedBlob b) {
    String what = blobName(pack, b);
    return decode(b, PackFile.read(backend, packKey(pack), b.offset(), b.length(), what), what);
  }

  /**
   * Decrypts, decompresses and checks blob {@code b} from its {@code sealed} bytes as read from
   * {@code pack}: lets a check read a whole pack in one sequential stream.
   */
  public byte[] openBlob(ObjectId pack, PackedBlob b, byte[] sealed) {
    return decode(b, sealed, blobName(pack, b));
  }

  /** Where the index says blob {@code id} is stored; empty if it is not indexed (blobs saved but not flushed are not). */
  public synchronized Optional<BlobLocation> locate(BlobType type, ObjectId id) {
    return index().lookup(type, id).map(l -> new BlobLocation(l.pack(), l.blob()));
  }

  /** A reader of blobs from pack streams that hands their plaintext out in pieces (see {@link BlobStream}); one per thread. */
  public BlobStream blobStream(int compressedCapacity) {
    return new BlobStream(master, compressedCapacity);
  }

  /** How messages name a blob: "data blob 1a2b3c4d in pack 5e6f7a8b". */
  static String blobName(ObjectId pack, PackedBlob b) {
    return b.type().json() + " blob " + b.id().shortHex() + " in pack " + pack.shortHex();
  }

  /** Damage (exit 4) of blob {@code b} of {@code pack}, named as every path that reads blobs names it. */
  public static HoldfastException damagedBlob(ObjectId pack, PackedBlob b, String why) {
    return GoJson.damaged(blobName(pack, b), why);
  }

  /**
   * Discards what was not flushed, and waits for a pack upload under way (its blobs stay known, as
   * above); the backend stays open (its owner closes it).
   */
  @Override
  public void close() {
    discardUnflushed();
    ExecutorService w;
    synchronized (this) {
      w = workers;
      workers = null;
    }
    if (w != null) {
      w.shutdown();
    }
    synchronized (this) {
      dataPacks.clear(); // their arrays: up to a pack size per worker
    }
    arena.clear();
  }
}
