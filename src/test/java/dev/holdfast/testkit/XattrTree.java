package dev.holdfast.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;

/**
 * A source tree with extended attributes and POSIX ACLs, set with the JDK (user attributes) and the
 * real setfacl; tests that need it are skipped where setfacl is missing or the temporary directory's
 * file system keeps no user attributes. Layout: {@code note.txt} (user.note=hello, user.empty=""),
 * {@code shared.txt} (access ACL u:nobody:r), {@code dir/} (default ACL u:nobody:rx, user.kind=folder)
 * holding {@code dir/plain.txt}.
 */
public final class XattrTree {
  private XattrTree() {}

  public static Path create(Path root) throws IOException {
    assumeTrue(Processes.onPath("setfacl") && Processes.onPath("getfacl"), "setfacl/getfacl (Debian package acl) are needed");
    Files.createDirectories(root.resolve("dir"));
    Files.writeString(root.resolve("note.txt"), "with user attributes");
    try {
      setUserXattr(root.resolve("note.txt"), "note", "hello");
    } catch (IOException | UnsupportedOperationException e) {
      assumeTrue(false, "the temporary directory's file system keeps no user extended attributes: " + e);
    }
    setUserXattr(root.resolve("note.txt"), "empty", "");
    Files.writeString(root.resolve("shared.txt"), "with an access ACL");
    Processes.check(root, "setfacl", "-m", "u:nobody:r", root.resolve("shared.txt").toString());
    Processes.check(root, "setfacl", "-d", "-m", "u:nobody:rx", root.resolve("dir").toString());
    Files.writeString(root.resolve("dir/plain.txt"), "made under a default ACL");
    setUserXattr(root.resolve("dir"), "kind", "folder");
    return root;
  }

  /** {@code getfacl --omit-header} of {@code names} under {@code root}. */
  public static String getfacl(Path root, String... names) {
    String[] cmd = new String[names.length + 2];
    cmd[0] = "getfacl";
    cmd[1] = "--omit-header";
    System.arraycopy(names, 0, cmd, 2, names.length);
    return Processes.check(root, cmd).out();
  }

  public static void setUserXattr(Path p, String name, String value) throws IOException {
    Files.getFileAttributeView(p, UserDefinedFileAttributeView.class).write(name, StandardCharsets.UTF_8.encode(value));
  }

  public static String userXattr(Path p, String name) throws IOException {
    UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
    ByteBuffer b = ByteBuffer.allocate(v.size(name));
    v.read(name, b);
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }
}
