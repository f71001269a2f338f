package dev.holdfast.web;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveEntry;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.OpenPgpDecryption;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * The file tree inside an archive (from its manifest; archives without one are read once and
 * their listing kept), and downloads of one file or a directory as a {@code .tar.gz}. Paths asked
 * for are checked before anything is read; archive entries with unsafe names are never served.
 */
final class ArchiveBrowser {
  /** One entry of a directory listing; {@code type} is file, dir, link or other; {@code mode} octal permissions or null. */
  record Node(String name, String path, String type, long size, Instant mtime, String link, String mode) {}

  /** An entry as listed: the path inside the backup and what it is. */
  record Listed(String path, String type, long size, Instant mtime, String link, String mode) {}

  private final Map<String, List<Listed>> listings = new LinkedHashMap<>(8, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, List<Listed>> e) {
      return size() > 8;
    }
  };

  /**
   * A path inside an archive as a request names it: relative, '/'-separated, no "." or ".."
   * components, no NUL or backslash; "" is the root. Anything else is refused with 400.
   */
  static String checkPath(String p) {
    if (p == null || p.isEmpty() || p.equals("/")) {
      return "";
    }
    String s = p.startsWith("/") ? p.substring(1) : p;
    if (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.indexOf('\0') >= 0 || s.indexOf('\\') >= 0) {
      throw new WebError(400, "invalid path inside the backup");
    }
    for (String part : s.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new WebError(400, "invalid path inside the backup: '..', '.' and empty components are not allowed");
      }
    }
    return s;
  }

  /** Whether an archive entry's name could escape a directory it is written into. */
  static boolean unsafeEntry(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.indexOf('\0') >= 0) {
      return true;
    }
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        return true;
      }
    }
    return false;
  }

  List<Listed> listing(ArchiveCatalog.Item item, OpenPgpDecryption key) {
    String cacheKey = item.backend().location() + "\u0000" + item.ref().id();
    synchronized (listings) {
      List<Listed> cached = listings.get(cacheKey);
      if (cached != null) {
        return cached;
      }
    }
    List<Listed> out = new ArrayList<>();
    List<Manifest.ManifestEntry> entries = item.entries(key);
    if (!entries.isEmpty()) {
      for (Manifest.ManifestEntry e : entries) {
        out.add(new Listed(trim(e.path()), typeOf(e.type()), e.size(), e.mtime(), e.link(), e.mode()));
      }
    } else {
      try {
        ArchiveReader.read(item.backend(), item.ref().id(), key, (entry, content) -> out.add(
            new Listed(entry.normalizedName(), typeOf(entry.type()), entry.size(), entry.mtime(), entry.linkTarget(),
                String.format("%04o", entry.mode()))));
      } catch (IOException e) {
        throw new WebError(502, "cannot read " + item.ref().id() + ": " + e.getMessage());
      }
    }
    List<Listed> safe = out.stream().filter(l -> !unsafeEntry(l.path()) && !l.path().equals(".")).toList();
    synchronized (listings) {
      listings.put(cacheKey, safe);
    }
    return safe;
  }

  private static String trim(String p) {
    String s = p;
    while (s.startsWith("./")) {
      s = s.substring(2);
    }
    while (s.length() > 1 && s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static String typeOf(Object t) {
    String s = t.toString().toLowerCase(java.util.Locale.ROOT);
    return switch (s) {
      case "file", "hardlink" -> "file";
      case "directory", "dir" -> "dir";
      case "symlink", "link" -> "link";
      default -> s.equals("f") ? "file" : s.equals("d") ? "dir" : s.equals("l") ? "link" : "other";
    };
  }

  /** The children of {@code dir} ("" for the root): directories first, then by name. */
  List<Node> children(List<Listed> listing, String dir) {
    String prefix = dir.isEmpty() ? "" : dir + "/";
    Map<String, Node> dirs = new TreeMap<>();
    Map<String, Node> files = new TreeMap<>();
    boolean found = dir.isEmpty();
    for (Listed l : listing) {
      if (l.path().equals(dir)) {
        found = true;
        continue;
      }
      if (!l.path().startsWith(prefix)) {
        continue;
      }
      found = true;
      String rest = l.path().substring(prefix.length());
      int slash = rest.indexOf('/');
      if (slash >= 0) {
        String name = rest.substring(0, slash);
        dirs.putIfAbsent(name, new Node(name, prefix + name, "dir", 0, null, null, null));
      } else if (l.type().equals("dir")) {
        dirs.put(rest, new Node(rest, l.path(), "dir", 0, l.mtime(), null, l.mode()));
      } else {
        files.put(rest, new Node(rest, l.path(), l.type(), l.size(), l.mtime(), l.link(), l.mode()));
      }
    }
    if (!found) {
      throw new WebError(404, "no '" + dir + "' in this backup");
    }
    List<Node> out = new ArrayList<>(dirs.values());
    out.addAll(files.values());
    return out;
  }

  /** What {@code path} is in the listing: a file, a directory, or absent. */
  Optional<Listed> find(List<Listed> listing, String path) {
    if (path.isEmpty()) {
      return Optional.of(new Listed("", "dir", 0, null, null, null));
    }
    for (Listed l : listing) {
      if (l.path().equals(path)) {
        return Optional.of(l);
      }
    }
    String prefix = path + "/";
    return listing.stream().anyMatch(l -> l.path().startsWith(prefix))
        ? Optional.of(new Listed(path, "dir", 0, null, null, null)) : Optional.empty();
  }

  /** Stops reading the archive once the one file asked for has been sent. */
  private static final class Sent extends RuntimeException {
    Sent() {
      super(null, null, false, false);
    }
  }

  /** Receives the file's size before its bytes, so the response can announce it. */
  interface FileSink {
    OutputStream open(long size) throws IOException;
  }

  /**
   * Streams one regular file's content, then checks it: against the SHA-256 the manifest records
   * for that entry (then the rest of the archive is not read), else by reading the archive to its
   * end (gzip's CRC, OpenPGP's MDC) and comparing the object with its recorded SHA-256. False when
   * the archive holds no such file; throws DAMAGED when a check fails, possibly after bytes went out.
   */
  boolean file(ArchiveCatalog.Item item, OpenPgpDecryption key, String path, FileSink sink) throws IOException {
    String entrySha = null;
    for (Manifest.ManifestEntry e : item.entries(key)) {
      if (trim(e.path()).equals(path) && e.sha256() != null && !e.sha256().isEmpty()) {
        entrySha = e.sha256();
        break;
      }
    }
    String expectedEntry = entrySha;
    String id = item.ref().id();
    boolean[] sent = {false};
    ArchiveReader.Result read;
    try {
      read = ArchiveReader.read(item.backend(), id, key, (entry, content) -> {
        if (sent[0] || entry.type() != ArchiveEntry.Type.FILE || !entry.normalizedName().equals(path)) {
          return;
        }
        OutputStream out = sink.open(entry.size());
        java.security.MessageDigest md = sha256();
        copy(content, new java.security.DigestOutputStream(out, md), entry.size());
        out.flush();
        sent[0] = true;
        if (expectedEntry != null) {
          if (!java.util.HexFormat.of().formatHex(md.digest()).equalsIgnoreCase(expectedEntry)) {
            throw new HoldfastException(ExitCode.DAMAGED, "'" + path + "' in " + id
                + " does not match the SHA-256 its manifest records: the backup is damaged");
          }
          throw new Sent();
        }
      });
    } catch (Sent done) {
      return true;
    }
    if (!sent[0]) {
      return false;
    }
    String expected = item.expectedSha256();
    if (expected != null && !expected.equalsIgnoreCase(read.objectSha256())) {
      throw new HoldfastException(ExitCode.DAMAGED, id + " does not match its recorded SHA-256: the backup is damaged");
    }
    return true;
  }

  /**
   * Writes a gzip'd tar of {@code dir} and everything below it ("" for all), named from the
   * directory's own name down; entries with unsafe names, devices and hard links are left out.
   */
  void directory(ArchiveCatalog.Item item, OpenPgpDecryption key, String dir, OutputStream out) throws IOException {
    String base = dir.isEmpty() ? "" : dir.contains("/") ? dir.substring(0, dir.lastIndexOf('/') + 1) : "";
    String prefix = dir + "/";
    GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out);
    TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, "UTF-8");
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    ArchiveReader.read(item.backend(), item.ref().id(), key, (entry, content) -> {
      String name = entry.normalizedName();
      if (unsafeEntry(name) || name.equals(".")) {
        return;
      }
      if (!dir.isEmpty() && !name.equals(dir) && !name.startsWith(prefix)) {
        return;
      }
      String rel = name.substring(base.length());
      TarArchiveEntry t;
      switch (entry.type()) {
        case DIRECTORY -> t = new TarArchiveEntry(rel + "/");
        case FILE -> {
          t = new TarArchiveEntry(rel);
          t.setSize(entry.size());
        }
        case SYMLINK -> {
          t = new TarArchiveEntry(rel, TarArchiveEntry.LF_SYMLINK);
          t.setLinkName(entry.linkTarget());
        }
        default -> {
          return;
        }
      }
      t.setMode(entry.mode());
      if (entry.mtime() != null) {
        t.setModTime(entry.mtime().toEpochMilli());
      }
      tar.putArchiveEntry(t);
      if (entry.type() == ArchiveEntry.Type.FILE) {
        copy(content, tar, entry.size());
      }
      tar.closeArchiveEntry();
    });
    tar.finish();
    gz.finish();
    out.flush();
  }

  static java.security.MessageDigest sha256() {
    try {
      return java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static void copy(InputStream in, OutputStream out, long size) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long left = size;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new IOException("entry ended early");
      }
      out.write(buf, 0, n);
      left -= n;
    }
  }
}
