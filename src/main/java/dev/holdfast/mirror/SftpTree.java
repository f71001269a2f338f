package dev.holdfast.mirror;

import dev.holdfast.backend.SftpBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * A destination directory on an SFTP server (SFTP v3, as OpenSSH serves it): whole-second mtimes,
 * no inode numbers (hard links become separate copies), symbolic links' own times and owners are
 * left as the server makes them, renames through posix-rename@openssh.com.
 */
public final class SftpTree implements DestTree {
  private final SftpBackend backend;
  private final String root;

  public SftpTree(SftpBackend backend) {
    this.backend = backend;
    this.root = backend.target().path();
  }

  private SftpClient sftp() throws IOException {
    return backend.sftpClient();
  }

  @Override
  public String location() {
    return backend.location();
  }

  @Override
  public String root() {
    return root;
  }

  @Override
  public Mirror.Meta stat(String path) throws IOException {
    Attributes a;
    try {
      a = sftp().lstat(path);
    } catch (SftpException e) {
      if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE || e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_PATH) {
        return null;
      }
      throw e;
    }
    int mode = a.getPermissions();
    if ((mode & 0170000) == 0) {
      mode |= a.isDirectory() ? 0040000 : a.isSymbolicLink() ? 0120000 : a.isRegularFile() ? 0100000 : 0;
    }
    return new Mirror.Meta(mode, a.getUserId(), a.getGroupId(), a.getSize(), a.getModifyTime(), 0, 0, 1);
  }

  @Override
  public List<String> list(String dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (SftpClient.DirEntry e : sftp().readDir(dir)) {
      String n = e.getFilename();
      if (!n.equals(".") && !n.equals("..")) {
        out.add(n);
      }
    }
    return out;
  }

  @Override
  public void mkdir(String path) throws IOException {
    sftp().mkdir(path);
  }

  @Override
  public void mkdirs(String path) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String d = path; !d.isEmpty() && !d.equals("/") && stat(d) == null; d = d.substring(0, Math.max(0, d.lastIndexOf('/')))) {
      missing.add(d);
    }
    for (int i = missing.size() - 1; i >= 0; i--) {
      sftp().mkdir(missing.get(i));
    }
  }

  @Override
  public void setAttributes(String path, Mirror.Meta sm, boolean owner, boolean link) throws IOException {
    if (link) {
      return; // SETSTAT follows links; OpenSSH's lsetstat is not in the client
    }
    if (owner) {
      sftp().setStat(path, new Attributes().owner(sm.uid(), sm.gid()));
    }
    Attributes a = new Attributes();
    a.setPermissions(sm.perms());
    // SFTP v3 sets access and modification time together
    a.accessTime(sm.mtime());
    a.modifyTime(sm.mtime());
    sftp().setStat(path, a);
  }

  @Override
  public void setMode(String path, int perms) throws IOException {
    Attributes a = new Attributes();
    a.setPermissions(perms);
    sftp().setStat(path, a);
  }

  @Override
  public String readLink(String path) throws IOException {
    return sftp().readLink(path);
  }

  @Override
  public void symlink(String path, String target) throws IOException {
    sftp().symLink(path, target);
  }

  @Override
  public void hardLink(String path, String existing) {
    throw new UnsupportedOperationException("hard links over SFTP");
  }

  @Override
  public void write(String path, Path source) throws IOException {
    try (InputStream in = Files.newInputStream(source);
        // OpenSSH refuses SFTP messages over 256 KiB
        OutputStream out = sftp().write(path, 64 * 1024, OpenMode.Write, OpenMode.Create, OpenMode.Exclusive)) {
      in.transferTo(out);
    }
  }

  @Override
  public boolean sameContent(Path source, String path) throws IOException {
    try (InputStream a = new java.io.BufferedInputStream(Files.newInputStream(source), 1 << 16);
        InputStream b = new java.io.BufferedInputStream(sftp().read(path), 1 << 16)) {
      int x;
      do {
        x = a.read();
        if (x != b.read()) {
          return false;
        }
      } while (x != -1);
      return true;
    }
  }

  @Override
  public void rename(String from, String to) throws IOException {
    OpenSSHPosixRenameExtension posix = sftp().getExtension(OpenSSHPosixRenameExtension.class);
    if (posix == null || !posix.isSupported()) {
      throw new IOException("the server lacks posix-rename@openssh.com, needed to replace files atomically");
    }
    posix.posixRename(from, to);
  }

  @Override
  public void delete(String path) throws IOException {
    Mirror.Meta m = stat(path);
    if (m == null) {
      return;
    }
    if (m.isDir()) {
      sftp().rmdir(path);
    } else {
      sftp().remove(path);
    }
  }

  @Override
  public boolean hasInodes() {
    return false;
  }

  @Override
  public boolean setsLinkTimes() {
    return false;
  }

  @Override
  public boolean hasNanoTimes() {
    return false;
  }

  @Override
  public void close() {
    backend.close();
  }
}
