package dev.holdfast.repository;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A tree blob: the nodes of one directory, sorted by the UTF-8 bytes of their names, encoded as
 * restic's {@code {"nodes":[…]}} plus a newline (design.rst "Trees and Data").
 */
public record Tree(List<Node> nodes) {
  /** Go sorts strings by bytes, which differs from {@link String#compareTo} beyond the BMP. */
  public static final Comparator<String> NAME_ORDER =
      (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  public Tree {
    nodes = List.copyOf(nodes);
  }

  /** A tree of {@code nodes} in restic's order; duplicate names are a programming error. */
  public static Tree sorted(List<Node> nodes) {
    var list = new ArrayList<>(nodes);
    list.sort(Comparator.comparing(Node::name, NAME_ORDER));
    for (int i = 1; i < list.size(); i++) {
      if (list.get(i).name().equals(list.get(i - 1).name())) {
        throw new IllegalArgumentException("duplicate name in a tree: " + list.get(i).name());
      }
    }
    return new Tree(list);
  }

  public byte[] toJson() {
    var j = new GoJson().beginObject().name("nodes").beginArray();
    for (Node n : nodes) {
      j.beginObject()
          .name("name").value(GoQuote.quote(n.name()))
          .name("type").value(n.type().json());
      if (n.mode() != 0) {
        j.name("mode").value(n.mode());
      }
      j.name("mtime").value(GoJson.time(n.mtime()))
          .name("atime").value(GoJson.time(n.atime()))
          .name("ctime").value(GoJson.time(n.ctime()))
          .name("uid").value(n.uid())
          .name("gid").value(n.gid());
      optional(j, "user", n.user());
      optional(j, "group", n.group());
      optional(j, "inode", n.inode());
      optional(j, "device_id", n.deviceId());
      optional(j, "size", n.size());
      optional(j, "links", n.links());
      optional(j, "linktarget", n.linkTarget());
      optional(j, "device", n.device());
      j.name("content");
      if (n.content() == null) {
        j.nullValue();
      } else {
        j.beginArray();
        n.content().forEach(id -> j.value(id.hex()));
        j.endArray();
      }
      if (n.subtree() != null) {
        j.name("subtree").value(n.subtree().hex());
      }
      j.endObject();
    }
    return (j.endArray().endObject() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static void optional(GoJson j, String name, String v) {
    if (v != null && !v.isEmpty()) {
      j.name(name).value(v);
    }
  }

  private static void optional(GoJson j, String name, long v) {
    if (v != 0) {
      j.name(name).value(v);
    }
  }

  /** Parses a tree blob, checking what restore and check rely on; ignores fields it does not know. */
  public static Tree parse(byte[] json, String what) {
    JsonNode root = GoJson.object(GoJson.parse(json, what), what);
    JsonNode arr = GoJson.array(root, "nodes", false, what);
    var nodes = new ArrayList<Node>();
    if (arr == null) {
      return new Tree(nodes);
    }
    for (JsonNode n : arr) {
      GoJson.object(n, what);
      String quoted = GoJson.text(n, "name", what);
      String name = GoQuote.unquote(quoted);
      if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/")) {
        throw GoJson.damaged(what, "invalid node name");
      }
      String typeName = GoJson.text(n, "type", what);
      NodeType type = NodeType.fromJson(typeName);
      if (type == null) {
        throw GoJson.damaged(what, "unknown node type " + GoJson.printable(typeName));
      }
      List<ObjectId> content = null;
      JsonNode c = GoJson.array(n, "content", false, what);
      if (c != null) {
        content = new ArrayList<>(c.size());
        for (JsonNode id : c) {
          if (!id.isTextual()) {
            throw GoJson.damaged(what, "content id is not a string");
          }
          content.add(ObjectId.parse(id.textValue()));
        }
      }
      if (type == NodeType.FILE && content == null) {
        throw GoJson.damaged(what, "file node " + GoJson.printable(name) + " has no content list");
      }
      String subtree = GoJson.optText(n, "subtree", what);
      if (type == NodeType.DIR && subtree == null) {
        throw GoJson.damaged(what, "directory node " + GoJson.printable(name) + " has no subtree");
      }
      nodes.add(
          new Node(
              name,
              type,
              GoJson.optNumber(n, "mode", 0, 0xffffffffL, what),
              time(n, "mtime", what),
              time(n, "atime", what),
              time(n, "ctime", what),
              GoJson.optNumber(n, "uid", 0, 0xffffffffL, what),
              GoJson.optNumber(n, "gid", 0, 0xffffffffL, what),
              GoJson.optText(n, "user", what),
              GoJson.optText(n, "group", what),
              GoJson.optNumber(n, "inode", 0, Long.MAX_VALUE, what),
              GoJson.optNumber(n, "device_id", 0, Long.MAX_VALUE, what),
              GoJson.optNumber(n, "size", 0, Long.MAX_VALUE, what),
              GoJson.optNumber(n, "links", 0, Long.MAX_VALUE, what),
              GoJson.optText(n, "linktarget", what),
              GoJson.optNumber(n, "device", 0, Long.MAX_VALUE, what),
              content,
              subtree == null ? null : ObjectId.parse(subtree)));
    }
    return new Tree(nodes);
  }

  private static Instant time(JsonNode n, String field, String what) {
    String s = GoJson.optText(n, field, what);
    return s == null ? Instant.EPOCH : GoJson.parseTime(s, what).toInstant();
  }
}
