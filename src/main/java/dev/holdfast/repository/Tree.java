package dev.holdfast.repository;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
      if (n.extendedAttributes() != null) {
        // restic's order: after linktarget(_raw), before device; []byte values are standard base64
        j.name("extended_attributes").beginArray();
        for (Node.ExtendedAttribute a : n.extendedAttributes()) {
          // names are held as their raw bytes (one char each); restic's JSON has those bytes as UTF-8 text
          String name = new String(a.name().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
          j.beginObject().name("name").value(name).name("value").value(java.util.Base64.getEncoder().encodeToString(a.value()))
              .endObject();
        }
        j.endArray();
      }
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
    return j.endArray().endObject().toUtf8Line();
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

  /**
   * Parses a tree blob, checking what restore and check rely on; ignores fields it does not know.
   * It streams the JSON straight into nodes: a re-run loads the parent's tree of every directory,
   * and building a JSON tree model first cost about half of that (issue 9).
   */
  public static Tree parse(byte[] json, String what) {
    try (JsonParser p = GoJson.factory().createParser(json)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw GoJson.damaged(what, "empty");
      }
      if (t != JsonToken.START_OBJECT) {
        throw GoJson.damaged(what, "expected a JSON object");
      }
      List<Node> nodes = new ArrayList<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (!field.equals("nodes")) {
          p.skipChildren();
        } else if (v == JsonToken.VALUE_NULL) {
          nodes = new ArrayList<>();
        } else if (v != JsonToken.START_ARRAY) {
          throw GoJson.damaged(what, "'nodes' is not an array");
        } else {
          nodes = new ArrayList<>(); // a repeated field counts once, with its last value
          while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
              throw GoJson.damaged(what, "expected a JSON object");
            }
            nodes.add(node(p, what));
          }
        }
      }
      return new Tree(nodes);
    } catch (java.io.IOException e) {
      // JacksonException included: syntax errors, and the parser's own size and depth limits
      throw GoJson.damaged(what, "not valid JSON");
    }
  }

  /** The fields of one node as they came: checked once the node's object has been read. */
  private static final class RawNode {
    Object name;
    Object type;
    Object mtime;
    Object atime;
    Object ctime;
    Object user;
    Object group;
    Object linkTarget;
    Object subtree;
    List<Node.ExtendedAttribute> extendedAttributes;
    Object mode;
    Object uid;
    Object gid;
    Object inode;
    Object deviceId;
    Object size;
    Object links;
    Object device;
    List<ObjectId> content;
    boolean contentInvalid;
    boolean contentIdInvalid;
  }

  /** Marks a field whose value has the wrong JSON type. */
  private static final Object WRONG_TYPE = new Object();

  private static Node node(JsonParser p, String what) throws java.io.IOException {
    var r = new RawNode();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      switch (field) {
        case "name" -> r.name = text(p, v);
        case "type" -> r.type = text(p, v);
        case "mtime" -> r.mtime = text(p, v);
        case "atime" -> r.atime = text(p, v);
        case "ctime" -> r.ctime = text(p, v);
        case "user" -> r.user = text(p, v);
        case "group" -> r.group = text(p, v);
        case "linktarget" -> r.linkTarget = text(p, v);
        case "subtree" -> r.subtree = text(p, v);
        case "mode" -> r.mode = number(p, v);
        case "uid" -> r.uid = number(p, v);
        case "gid" -> r.gid = number(p, v);
        case "inode" -> r.inode = number(p, v);
        case "device_id" -> r.deviceId = number(p, v);
        case "size" -> r.size = number(p, v);
        case "links" -> r.links = number(p, v);
        case "device" -> r.device = number(p, v);
        case "extended_attributes" -> r.extendedAttributes = extendedAttributes(p, v, what);
        case "content" -> {
          r.content = null;
          r.contentInvalid = false;
          r.contentIdInvalid = false;
          if (v == JsonToken.START_ARRAY) {
            var ids = new ArrayList<ObjectId>();
            JsonToken e;
            while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
              if (e == JsonToken.VALUE_STRING && !r.contentIdInvalid) {
                ids.add(ObjectId.parse(p.getText()));
              } else {
                r.contentIdInvalid = true;
                p.skipChildren();
              }
            }
            r.content = ids;
          } else if (v != JsonToken.VALUE_NULL) {
            r.contentInvalid = true;
            p.skipChildren();
          }
        }
        default -> p.skipChildren();
      }
    }
    // The checks, in the order (and with the messages) of the earlier tree-model parser.
    String quoted = requiredText(r.name, "name", what);
    String name = GoQuote.unquote(quoted);
    if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/")) {
      throw GoJson.damaged(what, "invalid node name");
    }
    String typeName = requiredText(r.type, "type", what);
    NodeType type = NodeType.fromJson(typeName);
    if (type == null) {
      throw GoJson.damaged(what, "unknown node type " + GoJson.printable(typeName));
    }
    if (r.contentInvalid) {
      throw GoJson.damaged(what, "'content' is not an array");
    }
    if (r.contentIdInvalid) {
      throw GoJson.damaged(what, "content id is not a string");
    }
    if (type == NodeType.FILE && r.content == null) {
      throw GoJson.damaged(what, "file node " + GoJson.printable(name) + " has no content list");
    }
    String subtree = optText(r.subtree, "subtree", what);
    if (type == NodeType.DIR && subtree == null) {
      throw GoJson.damaged(what, "directory node " + GoJson.printable(name) + " has no subtree");
    }
    return new Node(
        name,
        type,
        optNumber(r.mode, "mode", 0, 0xffffffffL, what),
        time(r.mtime, "mtime", what),
        time(r.atime, "atime", what),
        time(r.ctime, "ctime", what),
        optNumber(r.uid, "uid", 0, 0xffffffffL, what),
        optNumber(r.gid, "gid", 0, 0xffffffffL, what),
        optText(r.user, "user", what),
        optText(r.group, "group", what),
        optNumber(r.inode, "inode", 0, Long.MAX_VALUE, what),
        optNumber(r.deviceId, "device_id", 0, Long.MAX_VALUE, what),
        optNumber(r.size, "size", 0, Long.MAX_VALUE, what),
        optNumber(r.links, "links", 0, Long.MAX_VALUE, what),
        optText(r.linkTarget, "linktarget", what),
        optNumber(r.device, "device", 0, Long.MAX_VALUE, what),
        r.content,
        subtree == null ? null : ObjectId.parse(subtree),
        r.extendedAttributes);
  }

  /** restic's {@code [{"name": "user.x", "value": "<base64>"}]}; null (or absent) for none. */
  private static List<Node.ExtendedAttribute> extendedAttributes(JsonParser p, JsonToken v, String what)
      throws java.io.IOException {
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    if (v != JsonToken.START_ARRAY) {
      throw GoJson.damaged(what, "extended_attributes is not a list");
    }
    List<Node.ExtendedAttribute> out = new ArrayList<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      String name = null;
      byte[] value = new byte[0];
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (field.equals("name") && t == JsonToken.VALUE_STRING) {
          name = new String(p.getText().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1); // its raw bytes
        } else if (field.equals("value") && t == JsonToken.VALUE_STRING) {
          try {
            value = java.util.Base64.getDecoder().decode(p.getText());
          } catch (IllegalArgumentException e) {
            throw GoJson.damaged(what, "extended attribute value is not base64");
          }
        } else if (!(field.equals("value") && t == JsonToken.VALUE_NULL)) {
          p.skipChildren();
        }
      }
      if (name == null || name.isEmpty()) {
        throw GoJson.damaged(what, "extended attribute without a name");
      }
      out.add(new Node.ExtendedAttribute(name, value));
    }
    if (p.currentToken() != JsonToken.END_ARRAY) {
      throw GoJson.damaged(what, "extended_attributes holds something other than objects");
    }
    return out;
  }

  /** A string value, null for JSON null, {@link #WRONG_TYPE} for anything else (skipped). */
  private static Object text(JsonParser p, JsonToken v) throws java.io.IOException {
    if (v == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    p.skipChildren();
    return WRONG_TYPE;
  }

  /**
   * An integral number as a Long (42, or 42.0 as the tree model accepted it), null for JSON null,
   * {@link #WRONG_TYPE} for anything else, including integers beyond a long.
   */
  private static Object number(JsonParser p, JsonToken v) throws java.io.IOException {
    if (v == JsonToken.VALUE_NUMBER_INT) {
      return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? WRONG_TYPE : (Object) p.getLongValue();
    }
    if (v == JsonToken.VALUE_NUMBER_FLOAT) {
      double d = p.getDoubleValue();
      boolean integral = !Double.isNaN(d) && !Double.isInfinite(d) && d == Math.rint(d);
      return integral && d >= Long.MIN_VALUE && d <= Long.MAX_VALUE ? (Object) (long) d : WRONG_TYPE;
    }
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    p.skipChildren();
    return WRONG_TYPE;
  }

  private static String requiredText(Object v, String field, String what) {
    if (!(v instanceof String s)) {
      throw GoJson.damaged(what, "'" + field + "' missing or not a string");
    }
    return s;
  }

  private static String optText(Object v, String field, String what) {
    if (v == WRONG_TYPE) {
      throw GoJson.damaged(what, "'" + field + "' is not a string");
    }
    return (String) v;
  }

  private static long optNumber(Object v, String field, long min, long max, String what) {
    if (v == null) {
      return 0;
    }
    if (!(v instanceof Long n)) {
      throw GoJson.damaged(what, "'" + field + "' missing or not an integer");
    }
    if (n < min || n > max) {
      throw GoJson.damaged(what, "'" + field + "' out of range: " + n);
    }
    return n;
  }

  private static Instant time(Object v, String field, String what) {
    String s = optText(v, field, what);
    return s == null ? Instant.EPOCH : GoJson.parseTime(s, what).toInstant();
  }
}
