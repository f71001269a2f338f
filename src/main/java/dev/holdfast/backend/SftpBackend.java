package dev.holdfast.backend;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.DirEntry;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHStatExtensionInfo;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHStatPathExtension;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpInputStreamAsync;
import org.apache.sshd.sftp.client.impl.SftpOutputStreamAsync;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * A backend on an SFTP server (a NAS, a second server, a storage box), over one SSH connection
 * shared by all threads. Uploads are written to a {@code <name>.<random>.partial} file beside the
 * final one, fsynced where the server offers fsync@openssh.com, then renamed into place after
 * checking that the key is free, so that readers never see a partial object.
 */
public final class SftpBackend implements Backend {
  static final String PARTIAL_SUFFIX = ".partial";
  /** The temporary names of uploads: {@code <name>.<16 hex digits>.partial}. */
  private static final java.util.regex.Pattern PARTIAL_NAME = java.util.regex.Pattern.compile(".+\\.[0-9a-f]{16}\\.partial");
  /** Remote paths of this process's uploads not yet committed or rolled back: never leftovers. */
  private static final java.util.Set<String> UNFINISHED = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Bytes per SFTP read request; OpenSSH serves up to 256 KiB. */
  private static final int READ_BUFFER = 64 * 1024;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final SftpTarget target;
  private final SshEndpoint endpoint;
  private final SshConnection connection;
  private final String base;
  private final String location;

  /** Resolves the target against ~/.ssh/config now, and connects on first use. */
  public SftpBackend(SftpTarget target, SftpOptions options) {
    this(target, options, Path.of(System.getProperty("user.home")));
  }

  SftpBackend(SftpTarget target, SftpOptions options, Path home) {
    this.target = target;
    this.endpoint = SshEndpoint.resolve(target, options, home);
    this.connection = new SshConnection(endpoint, options);
    this.base = target.path();
    this.location = SftpTarget.url(endpoint.user(), target.host(), endpoint.port(), base);
  }

  /** The session's SFTP client (connecting on first use), for callers that need file-tree operations (mirror). */
  public SftpClient sftpClient() throws IOException {
    return connection.sftp();
  }

  public SftpTarget target() {
    return target;
  }

  /** {@code sftp://user@host:port/path}, with the host as the target names it (maybe an alias). */
  @Override
  public String location() {
    return location;
  }

  private String remote(String key) {
    Backend.checkKey(key);
    return base.equals("/") ? "/" + key : base + "/" + key;
  }

  private String relative(String dir) {
    return dir.isEmpty() ? base : base.equals("/") ? "/" + dir : base + "/" + dir;
  }

  @Override
  public ObjectWriter create(String key) throws IOException {
    String path = remote(key);
    String dir = path.substring(0, path.lastIndexOf('/'));
    String partial = path + "." + HexFormat.of().toHexDigits(RANDOM.nextLong()) + PARTIAL_SUFFIX;
    SftpClient sftp = connection.sftp();
    mkdirs(sftp, dir);
    CloseableHandle handle;
    UNFINISHED.add(partial); // before the file exists: a prune's clean-up in this process must not take it
    try {
      try {
        handle = openForWrite(sftp, partial);
      } catch (NoSuchFileException e) {
        // A concurrent delete removed the directory we just made, as it was empty: make it again.
        mkdirs(sftp, dir);
        handle = openForWrite(sftp, partial);
      }
    } catch (IOException | RuntimeException e) {
      UNFINISHED.remove(partial);
      throw e;
    }
    return new SftpWriter(sftp, path, partial, handle);
  }

  private static CloseableHandle openForWrite(SftpClient sftp, String partial) throws IOException {
    try {
      return sftp.open(partial, OpenMode.Write, OpenMode.Create, OpenMode.Exclusive);
    } catch (SftpException e) {
      throw translate(e, partial);
    }
  }

  /** mkdir -p: finds the deepest existing ancestor, then creates the rest downwards. */
  private void mkdirs(SftpClient sftp, String dir) throws IOException {
    List<String> missing = new ArrayList<>();
    String d = dir;
    while (!d.isEmpty() && !d.equals("/") && !isDirectory(sftp, d)) {
      missing.add(d);
      int slash = d.lastIndexOf('/');
      d = slash < 0 ? "" : d.substring(0, slash);
    }
    for (int i = missing.size() - 1; i >= 0; i--) {
      String m = missing.get(i);
      try {
        sftp.mkdir(m);
      } catch (SftpException e) {
        // OpenSSH answers SSH_FX_FAILURE when it exists, e.g. made by a concurrent upload.
        if (!isDirectory(sftp, m)) {
          IOException t = translate(e, m);
          // a file in its place: not "the object exists", which content-named writes take for success
          throw t instanceof FileAlreadyExistsException ? new java.nio.file.NotDirectoryException(m) : t;
        }
      }
    }
  }

  private static boolean isDirectory(SftpClient sftp, String path) throws IOException {
    try {
      return sftp.stat(path).isDirectory();
    } catch (SftpException e) {
      if (isMissing(e)) {
        return false;
      }
      throw translate(e, path);
    }
  }

  @Override
  public InputStream open(String key, long offset, long length) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    String path = remote(key);
    SftpClient sftp = connection.sftp();
    CloseableHandle handle;
    try {
      handle = sftp.open(path, OpenMode.Read);
    } catch (SftpException e) {
      throw translate(e, path);
    }
    try {
      long size = sftp.stat(handle).getSize();
      long start = Math.min(offset, size);
      long end = length < 0 ? size : Math.min(size, start + length);
      if (end <= start) {
        handle.close();
        return InputStream.nullInputStream();
      }
      // Telling the stream the range's end as the "file size" keeps its read-ahead inside the range.
      InputStream in =
          new SftpInputStreamAsync((AbstractSftpClient) sftp, READ_BUFFER, start, end, path, handle, true);
      return new BoundedInputStream(in, end - start);
    } catch (SftpException e) {
      closeQuietly(handle);
      throw translate(e, path);
    } catch (IOException | RuntimeException e) {
      closeQuietly(handle);
      throw e;
    }
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    String path = remote(key);
    SftpClient sftp = connection.sftp();
    try {
      Attributes a = sftp.stat(path);
      return a.isRegularFile() ? Optional.of(info(key, a)) : Optional.empty();
    } catch (SftpException e) {
      if (isMissing(e)) {
        return Optional.empty();
      }
      throw translate(e, path);
    }
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) throws IOException {
    SftpClient sftp = connection.sftp();
    if (!isDirectory(sftp, base)) {
      throw new NoSuchFileException(location, null, "target directory does not exist");
    }
    // Walk the deepest directory that the prefix names completely, then filter by the rest.
    int slash = prefix.lastIndexOf('/');
    String startDir = slash < 0 ? "" : prefix.substring(0, slash);
    List<ObjectInfo> found = new ArrayList<>();
    walk(sftp, startDir, prefix, found);
    return found.stream();
  }

  /** A directory's entries, or null when it is not there (nothing under a prefix, or deleted while listing). */
  private static List<DirEntry> readDir(SftpClient sftp, String remoteDir) throws IOException {
    List<DirEntry> entries = new ArrayList<>();
    try (CloseableHandle handle = sftp.openDir(remoteDir)) {
      for (List<DirEntry> batch; (batch = sftp.readDir(handle)) != null; ) {
        entries.addAll(batch);
      }
    } catch (SftpException e) {
      if (isMissing(e)) {
        return null;
      }
      throw translate(e, remoteDir);
    }
    return entries;
  }

  private void walk(SftpClient sftp, String dir, String prefix, List<ObjectInfo> found) throws IOException {
    List<DirEntry> entries = readDir(sftp, relative(dir));
    if (entries == null) {
      return;
    }
    for (DirEntry e : entries) {
      String name = e.getFilename();
      if (name.equals(".") || name.equals("..") || name.endsWith(PARTIAL_SUFFIX)) {
        continue;
      }
      String key = dir.isEmpty() ? name : dir + "/" + name;
      Attributes a = e.getAttributes();
      if (a.isDirectory()) {
        if (couldContain(key + "/", prefix)) {
          walk(sftp, key, prefix, found);
        }
      } else if (a.isRegularFile() && key.startsWith(prefix)) {
        found.add(info(key, a));
      }
    }
  }

  /**
   * Deletes the temporary files of uploads that never finished (a killed process, a dropped
   * connection: {@code <name>.<hex>.partial}, which listings skip) under {@code prefix}, except this
   * process's own uploads under way. Best effort: one that cannot be deleted does not stop the others.
   */
  @Override
  public int deleteLeftovers(String prefix) throws IOException {
    SftpClient sftp = connection.sftp();
    List<String> partial = new ArrayList<>();
    leftovers(sftp, relative(prefix), partial);
    return Leftovers.deleteEach(partial, p -> {
      if (UNFINISHED.contains(p)) {
        return false;
      }
      try {
        sftp.remove(p);
        return true;
      } catch (SftpException e) {
        if (isMissing(e)) {
          return false;
        }
        throw translate(e, p);
      }
    });
  }

  private static void leftovers(SftpClient sftp, String remoteDir, List<String> found) throws IOException {
    List<DirEntry> entries = readDir(sftp, remoteDir);
    if (entries == null) {
      return;
    }
    for (DirEntry e : entries) {
      String name = e.getFilename();
      if (name.equals(".") || name.equals("..")) {
        continue;
      }
      Attributes a = e.getAttributes();
      if (a.isDirectory()) {
        leftovers(sftp, remoteDir + "/" + name, found);
      } else if (a.isRegularFile() && PARTIAL_NAME.matcher(name).matches()) {
        found.add(remoteDir + "/" + name);
      }
    }
  }

  /** Whether keys under {@code dirPrefix} can start with {@code prefix}. */
  private static boolean couldContain(String dirPrefix, String prefix) {
    return dirPrefix.startsWith(prefix) || prefix.startsWith(dirPrefix);
  }

  private static ObjectInfo info(String key, Attributes a) {
    FileTime t = a.getModifyTime();
    return new ObjectInfo(key, a.getSize(), t == null ? Instant.EPOCH : t.toInstant());
  }

  @Override
  public void delete(String key) throws IOException {
    String path = remote(key);
    SftpClient sftp = connection.sftp();
    try {
      sftp.remove(path);
    } catch (SftpException e) {
      if (!isMissing(e)) {
        throw translate(e, path);
      }
    }
    // Remove directories left empty, up to the base, so deleted backups leave no litter. rmdir
    // refuses a directory that is not empty, which is exactly when to stop.
    for (String dir = path.substring(0, path.lastIndexOf('/'));
        dir.length() > base.length() && dir.startsWith(base);
        dir = dir.substring(0, dir.lastIndexOf('/'))) {
      try {
        sftp.rmdir(dir);
      } catch (SftpException e) {
        if (!isMissing(e)) {
          break;
        }
      }
    }
  }

  /** From statvfs@openssh.com on the base (or its nearest existing parent); empty if unknown. */
  @Override
  public OptionalLong freeSpace() {
    try {
      SftpClient sftp = connection.sftp();
      OpenSSHStatPathExtension statvfs = sftp.getExtension(OpenSSHStatPathExtension.class);
      if (statvfs == null || !statvfs.isSupported()) {
        return OptionalLong.empty();
      }
      String dir = base;
      while (true) {
        String path = dir.isEmpty() ? (base.startsWith("/") ? "/" : ".") : dir;
        try {
          OpenSSHStatExtensionInfo info = statvfs.stat(path);
          return OptionalLong.of(info.f_bavail * info.f_frsize);
        } catch (SftpException e) {
          if (!isMissing(e) || dir.isEmpty()) {
            return OptionalLong.empty();
          }
        }
        int slash = dir.lastIndexOf('/');
        dir = slash < 0 ? "" : dir.substring(0, slash);
      }
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty(); // a probe, not an operation: failures show elsewhere
    }
  }

  @Override
  public void close() {
    connection.close();
  }

  @Override
  public String toString() {
    return "SftpBackend[" + location + "]";
  }

  private static boolean isMissing(SftpException e) {
    return e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE
        || e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_PATH;
  }

  /** Gives SFTP status codes the java.nio exception types that callers test for. */
  private static IOException translate(SftpException e, String path) {
    IOException t =
        switch (e.getStatus()) {
          case SftpConstants.SSH_FX_NO_SUCH_FILE, SftpConstants.SSH_FX_NO_SUCH_PATH ->
              new NoSuchFileException(path, null, e.getMessage());
          case SftpConstants.SSH_FX_PERMISSION_DENIED -> new AccessDeniedException(path, null, e.getMessage());
          case SftpConstants.SSH_FX_FILE_ALREADY_EXISTS -> new FileAlreadyExistsException(path, null, e.getMessage());
          default -> null;
        };
    if (t == null) {
      return e;
    }
    t.initCause(e);
    return t;
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // the caller reports the original failure
    }
  }

  /** Streams into the .partial file through MINA's pipelined writer; commit publishes it. */
  private final class SftpWriter extends ObjectWriter {
    private final SftpClient sftp;
    private final String path;
    private final String partial;
    private final CloseableHandle handle;
    private final SftpOutputStreamAsync out;
    private boolean committed;
    private boolean closed;

    SftpWriter(SftpClient sftp, String path, String partial, CloseableHandle handle) {
      this.sftp = sftp;
      this.path = path;
      this.partial = partial;
      this.handle = handle;
      // Buffer size 0: one SFTP write per SSH packet; the handle stays ours for fsync.
      this.out = new SftpOutputStreamAsync((AbstractSftpClient) sftp, 0, partial, handle, false);
    }

    private void checkOpen() throws IOException {
      if (closed || committed) {
        throw new IOException("writer for " + path + " is closed");
      }
    }

    @Override
    public void write(int b) throws IOException {
      checkOpen();
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      checkOpen();
      out.write(b, off, len);
    }

    @Override
    public void commit() throws IOException {
      checkOpen();
      try {
        out.close(); // waits until the server acknowledged every write
        OpenSSHFsyncExtension fsync = sftp.getExtension(OpenSSHFsyncExtension.class);
        if (fsync != null && fsync.isSupported()) {
          fsync.fsync(handle);
        }
        handle.close();
        if (exists(path)) {
          throw new FileAlreadyExistsException(path, null, "object already exists");
        }
        OpenSSHPosixRenameExtension posixRename = sftp.getExtension(OpenSSHPosixRenameExtension.class);
        if (posixRename != null && posixRename.isSupported()) {
          posixRename.posixRename(partial, path);
        } else {
          // SFTP v3 rename (draft-ietf-secsh-filexfer-02 §6.5) fails when the target exists.
          sftp.rename(partial, path);
        }
      } catch (SftpException e) {
        throw translate(e, path);
      }
      committed = true;
      closed = true;
      UNFINISHED.remove(partial);
    }

    private boolean exists(String p) throws IOException {
      try {
        sftp.lstat(p);
        return true;
      } catch (SftpException e) {
        if (isMissing(e)) {
          return false;
        }
        throw translate(e, p);
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      UNFINISHED.remove(partial);
      if (!sftp.isOpen()) {
        return; // the connection is gone; a left-over .partial file is never listed
      }
      closeQuietly(out);
      closeQuietly(handle);
      try {
        sftp.remove(partial);
      } catch (IOException | RuntimeException ignored) {
        // rollback never throws; a left-over .partial file is never listed
      }
    }
  }
}
