package dev.holdfast.repository;

import java.time.Instant;
import java.util.List;

/**
 * One entry of a tree blob (design.rst "Trees and Data"): a file, directory, symlink or special
 * file with its metadata, its content blobs (files) or subtree (directories).
 *
 * @param name the plain name (quoting for the JSON is the codec's business)
 * @param type what kind of node
 * @param mode Go {@code os.FileMode} bits, see {@link FileMode}
 * @param mtime modification time
 * @param atime access time
 * @param ctime status change time
 * @param uid owner id
 * @param gid group id
 * @param user owner name, or null
 * @param group group name, or null
 * @param inode st_ino, 0 when unknown
 * @param deviceId st_dev, 0 when unknown
 * @param size file size (files only)
 * @param links st_nlink, 0 when unknown
 * @param linkTarget symlink target, or null
 * @param device st_rdev of device nodes
 * @param content data blob ids (files; empty list for an empty file), null for other types
 * @param subtree tree blob id (directories), else null
 * @param extendedAttributes extended attributes (with POSIX ACLs, which Linux keeps among them), by
 *     name; null when there are none
 */
public record Node(
    String name,
    NodeType type,
    long mode,
    Instant mtime,
    Instant atime,
    Instant ctime,
    long uid,
    long gid,
    String user,
    String group,
    long inode,
    long deviceId,
    long size,
    long links,
    String linkTarget,
    long device,
    List<ObjectId> content,
    ObjectId subtree,
    List<ExtendedAttribute> extendedAttributes) {

  /** One extended attribute: restic's {@code {"name": ..., "value": <base64>}}. */
  public record ExtendedAttribute(String name, byte[] value) {
    public ExtendedAttribute {
      value = value == null ? new byte[0] : value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ExtendedAttribute a && a.name.equals(name) && java.util.Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + java.util.Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return name + "(" + value.length + " bytes)";
    }
  }

  public Node {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a node needs a name");
    }
    content = content == null ? null : List.copyOf(content);
    extendedAttributes = extendedAttributes == null || extendedAttributes.isEmpty() ? null : List.copyOf(extendedAttributes);
  }

  /** A node without extended attributes. */
  public Node(String name, NodeType type, long mode, Instant mtime, Instant atime, Instant ctime, long uid, long gid,
      String user, String group, long inode, long deviceId, long size, long links, String linkTarget, long device,
      List<ObjectId> content, ObjectId subtree) {
    this(name, type, mode, mtime, atime, ctime, uid, gid, user, group, inode, deviceId, size, links, linkTarget, device,
        content, subtree, null);
  }

  /** The extended attributes by name (empty when none). */
  public java.util.Map<String, byte[]> extendedAttributeMap() {
    java.util.Map<String, byte[]> m = new java.util.TreeMap<>();
    if (extendedAttributes != null) {
      extendedAttributes.forEach(a -> m.put(a.name(), a.value()));
    }
    return m;
  }

  /** The same node with {@code other}'s extended attributes (the same file's, as another node records them). */
  public Node withExtendedAttributesOf(Node other) {
    if (java.util.Objects.equals(extendedAttributes, other.extendedAttributes)) {
      return this; // most files have none: no copy
    }
    return new Node(name, type, mode, mtime, atime, ctime, uid, gid, user, group, inode, deviceId, size, links, linkTarget,
        device, content, subtree, other.extendedAttributes);
  }

  /** The same node with these extended attributes (none: an empty map), sorted by name. */
  public Node withExtendedAttributes(java.util.Map<String, byte[]> attributes) {
    List<ExtendedAttribute> list = new java.util.ArrayList<>();
    new java.util.TreeMap<>(attributes).forEach((k, v) -> list.add(new ExtendedAttribute(k, v)));
    return new Node(name, type, mode, mtime, atime, ctime, uid, gid, user, group, inode, deviceId, size, links, linkTarget,
        device, content, subtree, list);
  }

  public static Node file(String name, long mode, Instant mtime, long uid, long gid, long size, List<ObjectId> content) {
    return new Node(name, NodeType.FILE, mode, mtime, mtime, mtime, uid, gid, null, null, 0, 0, size, 1, null, 0, content, null);
  }

  public static Node dir(String name, long mode, Instant mtime, long uid, long gid, ObjectId subtree) {
    return new Node(name, NodeType.DIR, mode, mtime, mtime, mtime, uid, gid, null, null, 0, 0, 0, 0, null, 0, null, subtree);
  }

  public static Node symlink(String name, long mode, Instant mtime, long uid, long gid, String target) {
    return new Node(name, NodeType.SYMLINK, mode, mtime, mtime, mtime, uid, gid, null, null, 0, 0, 0, 1, target, 0, null, null);
  }

  /** The same node with the status change time, inode and device of the file it describes. */
  public Node withIdentity(Instant ctime, long inode, long deviceId) {
    return new Node(name, type, mode, mtime, atime, ctime, uid, gid, user, group, inode, deviceId, size, links, linkTarget, device, content, subtree,
        extendedAttributes);
  }

  /** The same node with st_nlink {@code links}: above 1, restores link it to the other names of its inode. */
  public Node withLinks(long links) {
    return new Node(name, type, mode, mtime, atime, ctime, uid, gid, user, group, inode, deviceId, size, links, linkTarget, device, content, subtree,
        extendedAttributes);
  }

  /** The same node with owner and group names. */
  public Node withOwner(String user, String group) {
    return new Node(name, type, mode, mtime, atime, ctime, uid, gid, user, group, inode, deviceId, size, links, linkTarget, device, content, subtree,
        extendedAttributes);
  }
}
