package dev.holdfast.archive;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.ObjectWriter;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import dev.holdfast.format.BackupRef;
import dev.holdfast.format.BackupWriter;
import dev.holdfast.source.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Streams entries into one archive object: POSIX (pax) tar, compressed, uploaded as it is produced.
 * On {@link #finish()} the object is committed, then its {@code .sha256} sidecar, then its
 * manifest; the manifest is written last and marks the backup complete.
 */
public final class ArchiveWriter implements BackupWriter {
  private static final int COPY_BUFFER = 1 << 20;

  private final Backend backend;
  private final String key;
  private final ArchiveSettings settings;
  private final String job;
  private final String host;
  private final Instant started;
  private final Clock clock;
  private final EventSink events;
  private final ObjectWriter object;
  private final AsyncHashingOutputStream hashed;
  private final TarArchiveOutputStream tar;
  /** Tar and compression run on their own thread; this one reads, hashes and reports. */
  private final TarStage stage;
  private final List<Manifest.ManifestEntry> entries = new ArrayList<>();
  /** Paths stored so far: overlapping sources (a database listed alone and in all-databases, /home and /home/anna) name some twice. */
  private final java.util.Set<String> stored = new java.util.HashSet<>();
  /** For spooling streams of unknown length only; file content travels in the stage's buffers. */
  private byte[] spoolBuffer;
  private long files;
  private long directories;
  private long links;
  private long bytes;
  private long warnings;
  private boolean done;

  public ArchiveWriter(
      Backend backend, String key, ArchiveSettings settings, String job, String host, Clock clock,
      EventSink events) {
    this.backend = backend;
    this.key = key;
    this.settings = settings;
    this.job = job;
    this.host = host;
    this.clock = clock;
    this.started = clock.instant();
    this.events = events;
    try {
      if (backend.stat(key).isPresent()) {
        throw new HoldfastException(ExitCode.FAILED,
            "archive " + key + " already exists on " + backend.location(),
            "the name template gives two runs the same name; add seconds ({HHmmss}) to it");
      }
      this.object = backend.create(key);
    } catch (IOException e) {
      throw HoldfastException.io("creating archive " + key + " on " + backend.location(), e);
    }
    AsyncHashingOutputStream h = null;
    TarStage st = null;
    try {
      // the output's checksum and the upload run on a thread of their own
      this.hashed = h = new AsyncHashingOutputStream(object, "archive-output");
      // tar -> compressor -> OpenPGP -> hash -> upload: no plaintext leaves this process
      OutputStream sink = settings.encryption() == null ? hashed : settings.encryption().encrypt(hashed);
      OutputStream compressed = settings.compression().compress(sink, settings.level(), settings.threads());
      this.tar = new TarArchiveOutputStream(compressed, StandardCharsets.UTF_8.name());
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      this.stage = st = new TarStage(tar, "archive-tar");
    } catch (IOException | RuntimeException e) {
      if (h != null) {
        h.abort();
      }
      object.close();
      throw e instanceof IOException io ? HoldfastException.io("starting archive " + key, io) : (RuntimeException) e;
    }
  }

  public String key() {
    return key;
  }

  @Override
  public void add(Entry e) {
    if (!stored.add(e.path())) {
      // one path, one entry: a second copy would make tar overwrite the first on extraction and
      // leave the manifest with two checksums for one name
      if (e.kind() != Entry.Kind.DIRECTORY) {
        events.publish(new BackupEvent.Note(e.path() + " is stored already (named by more than one source); "
            + "the later copy is left out"));
      }
      return;
    }
    try {
      switch (e.kind()) {
        case DIRECTORY -> {
          TarArchiveEntry t = header(e.path() + "/", TarConstants.LF_DIR, e, 040000);
          stage.putEntry(t);
          stage.closeEntry();
          directories++;
          record(e, "dir", 0, null, null);
        }
        case SYMLINK -> {
          TarArchiveEntry t = header(e.path(), TarConstants.LF_SYMLINK, e, 0120000);
          t.setLinkName(e.linkTarget());
          stage.putEntry(t);
          stage.closeEntry();
          links++;
          record(e, "symlink", 0, null, e.linkTarget());
        }
        case HARDLINK -> {
          TarArchiveEntry t = header(e.path(), TarConstants.LF_LINK, e, 0100000);
          t.setLinkName(e.linkTarget());
          stage.putEntry(t);
          stage.closeEntry();
          links++;
          record(e, "hardlink", 0, null, e.linkTarget());
        }
        case FILE -> addFile(e);
      }
    } catch (IOException ex) {
      throw HoldfastException.io("writing archive " + key + " to " + backend.location(), ex);
    }
  }

  private void addFile(Entry e) throws IOException {
    addFile(e, false);
  }

  /** {@code strict}: a read error or short read fails the backup instead of being a warning. */
  private void addFile(Entry e, boolean strict) throws IOException {
    if (e.size() < 0) {
      addStream(e);
      return;
    }
    InputStream in;
    try {
      in = e.content().open();
    } catch (IOException ex) {
      // unreadable now (permissions changed, file vanished): warn and keep going
      warnings++;
      events.publish(new BackupEvent.Warning("/" + e.path(), "cannot open: " + reasonOf(ex)));
      return;
    }
    try (in) {
      TarArchiveEntry t = header(e.path(), TarConstants.LF_NORMAL, e, 0100000);
      t.setSize(e.size());
      stage.putEntry(t);
      MessageDigest md = HashingOutputStream.sha256();
      long remaining = e.size();
      String problem = null;
      while (remaining > 0) {
        byte[] buffer = stage.buffer();
        int n;
        try {
          n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
        } catch (IOException ex) {
          stage.release(buffer);
          if (strict) {
            throw ex;
          }
          problem = "read error after " + (e.size() - remaining) + " bytes: " + reasonOf(ex);
          break;
        }
        if (n < 0) {
          stage.release(buffer);
          if (strict) {
            throw new IOException(e.path() + " ended " + remaining + " bytes early");
          }
          problem = "file shrank while being read; padded with zeros to its original size";
          break;
        }
        md.update(buffer, 0, n);
        stage.write(buffer, n);
        remaining -= n;
        events.publish(new BackupEvent.BytesMoved(n));
      }
      if (problem != null) {
        // the tar header promised e.size() bytes: keep the archive well-formed
        while (remaining > 0) {
          byte[] buffer = stage.buffer();
          int n = (int) Math.min(buffer.length, remaining);
          java.util.Arrays.fill(buffer, 0, n, (byte) 0);
          md.update(buffer, 0, n);
          stage.write(buffer, n);
          remaining -= n;
        }
      } else {
        try {
          if (in.read() >= 0) {
            problem = "file grew while being read; stored its first " + e.size() + " bytes";
          }
        } catch (IOException ignored) {
          // a read error past the stored size does not change what was stored
        }
      }
      stage.closeEntry();
      if (problem != null) {
        warnings++;
        events.publish(new BackupEvent.Warning("/" + e.path(), problem));
      }
      files++;
      bytes += e.size();
      record(e, "file", e.size(), HexFormat.of().formatHex(md.digest()), null);
      events.publish(new BackupEvent.EntryDone(e.path(), e.size()));
    }
  }

  /**
   * A stream of unknown length (a dump): spooled, encrypted, to learn its size, then written. A
   * failure of the producer (a dump command exiting non-zero) fails the whole backup: a database
   * backup with a cut-off dump must never look complete.
   */
  private void addStream(Entry e) throws IOException {
    Path dir = spoolDir != null ? spoolDir : Path.of(System.getProperty("java.io.tmpdir"));
    try (EncryptedSpool spool = new EncryptedSpool(dir)) {
      long size;
      try (InputStream in = e.content().open()) {
        if (spoolBuffer == null) {
          spoolBuffer = new byte[COPY_BUFFER];
        }
        size = spool.fill(in, spoolBuffer);
      }
      Entry sized = new Entry(e.path(), Entry.Kind.FILE, size, e.mode(), e.mtime(), e.uid(), e.gid(), e.owner(),
          e.group(), null, spool::open);
      addFile(sized, true);
    }
  }

  private java.nio.file.Path spoolDir;

  /** Where streams of unknown length are spooled (encrypted); default: the system temp directory. */
  public ArchiveWriter spoolIn(java.nio.file.Path dir) {
    this.spoolDir = dir;
    return this;
  }

  private static String reasonOf(IOException ex) {
    if (ex instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (ex instanceof java.nio.file.NoSuchFileException) {
      return "no longer exists";
    }
    return ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
  }

  private TarArchiveEntry header(String name, byte type, Entry e, int typeBits) {
    TarArchiveEntry t = new TarArchiveEntry(name, type);
    t.setMode(typeBits | e.permissions());
    t.setModTime(FileTime.from(e.mtime().getEpochSecond(), java.util.concurrent.TimeUnit.SECONDS));
    t.setUserId(e.uid());
    t.setGroupId(e.gid());
    // a name that is only the numeric id carries no information, and tar would look it up as a name
    t.setUserName(e.owner() == null || e.owner().equals(Long.toString(e.uid())) ? "" : e.owner());
    t.setGroupName(e.group() == null || e.group().equals(Long.toString(e.gid())) ? "" : e.group());
    return t;
  }

  private void record(Entry e, String type, long size, String sha, String link) {
    entries.add(
        new Manifest.ManifestEntry(
            e.path(), type, size, sha, String.format("%04o", e.permissions()),
            Instant.ofEpochSecond(e.mtime().getEpochSecond()), link));
  }

  /** Content bytes of the files stored so far (before compression). */
  public long contentBytes() {
    return bytes;
  }

  public long warnings() {
    return warnings;
  }

  @Override
  public BackupRef finish() {
    if (done) {
      throw new IllegalStateException("archive " + key + " already finished");
    }
    try {
      stage.finish(); // writes the end-of-archive blocks and finishes the compressor
      // the OpenPGP layer leaves the stream under it open: drain the output thread here in every mode
      hashed.close();
      object.commit();
      done = true;
    } catch (FileAlreadyExistsException e) {
      throw new HoldfastException(ExitCode.FAILED, "archive " + key + " already exists on " + backend.location());
    } catch (IOException e) {
      throw HoldfastException.io("finishing archive " + key + " on " + backend.location(), e);
    } finally {
      if (!done) {
        hashed.abort(); // a compressor that failed to close leaves the output thread waiting
      }
      object.close();
    }
    String sha = hashed.hex();
    long size = hashed.count();
    Instant finished = clock.instant();
    String baseName = key.substring(key.lastIndexOf('/') + 1);
    boolean encrypted = settings.encryption() != null;
    Manifest manifest =
        new Manifest(
            Manifest.FORMAT, 1, job, host, started, finished, Version.current(),
            new Manifest.ArchiveInfo(baseName, size, sha, settings.compression().configName(), encrypted),
            new Manifest.Totals(files, directories, links, bytes, warnings),
            encrypted ? List.of() : entries, encrypted ? Boolean.TRUE : null);
    try {
      backend.put(key + ".sha256", (sha + "  " + baseName + "\n").getBytes(StandardCharsets.UTF_8));
      if (encrypted) {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        try (OutputStream enc = settings.encryption().encrypt(buf)) {
          enc.write(Manifest.entriesJson(entries));
        }
        backend.put(key + Manifest.ENTRIES_SUFFIX, buf.toByteArray());
      }
      backend.put(key + Manifest.SUFFIX, manifest.toJson());
    } catch (IOException e) {
      throw HoldfastException.io(
          "writing the sidecars of " + key + " (the archive itself is complete)", e);
    }
    return new BackupRef(key, started, job, host, size, files, "archive", true, encrypted);
  }

  @Override
  public void close() {
    if (!done) {
      stage.abort();
      hashed.abort();
      if (stage.stopped()) {
        try {
          tar.close(); // frees the compressor's native memory and threads; its output goes nowhere now
        } catch (IOException | RuntimeException ignored) {
          // aborting: the upload is discarded below, whatever state the stream is in
        }
      }
      object.close();
      done = true;
    }
  }
}
