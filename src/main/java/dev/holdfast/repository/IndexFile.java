package dev.holdfast.repository;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code index/<id>} file (design.rst "Indexing"): which blobs each pack holds and where, and
 * which older index files it replaces.
 *
 * @param supersedes index files this one replaces (written by prune), usually empty
 * @param packs the packs it describes
 */
public record IndexFile(List<ObjectId> supersedes, List<Pack> packs) {

  /** One pack and its blobs. */
  public record Pack(ObjectId id, List<PackedBlob> blobs) {}

  public IndexFile {
    supersedes = List.copyOf(supersedes);
    packs = List.copyOf(packs);
  }

  /** The JSON restic's index encoder writes, with its trailing newline. */
  byte[] toJson() {
    long blobs = packs.stream().mapToLong(p -> p.blobs().size()).sum();
    // about 150 characters a blob and 100 a pack: presized, the builder is not copied as it grows
    var j = new GoJson((int) Math.min(Integer.MAX_VALUE - 16, 256 + 160 * blobs + 100L * packs.size() + 70L * supersedes.size()))
        .beginObject();
    if (!supersedes.isEmpty()) {
      j.name("supersedes").beginArray();
      supersedes.forEach(id -> j.value(id.hex()));
      j.endArray();
    }
    j.name("packs").beginArray();
    for (Pack p : packs) {
      j.beginObject().name("id").value(p.id().hex()).name("blobs").beginArray();
      for (PackedBlob b : p.blobs()) {
        j.beginObject()
            .name("id").value(b.id().hex())
            .name("type").value(b.type().json())
            .name("offset").value(b.offset())
            .name("length").value(b.length());
        if (b.compressed()) {
          j.name("uncompressed_length").value(b.uncompressedLength());
        }
        j.endObject();
      }
      j.endArray().endObject();
    }
    return j.endArray().endObject().toUtf8Line();
  }

  /** Receives an index file's content as it is parsed, pack by pack. */
  interface Visitor {
    default void supersedes(ObjectId index) {}

    void pack(ObjectId id, List<PackedBlob> blobs);
  }

  /** Parses an index in the current format or the old one (a bare array of packs). */
  static IndexFile parse(byte[] json, String what) {
    var supersedes = new ArrayList<ObjectId>();
    var packs = new ArrayList<Pack>();
    read(json, what, new Visitor() {
      @Override
      public void supersedes(ObjectId index) {
        supersedes.add(index);
      }

      @Override
      public void pack(ObjectId id, List<PackedBlob> blobs) {
        packs.add(new Pack(id, blobs));
      }
    });
    return new IndexFile(supersedes, packs);
  }

  /**
   * Parses an index file token by token, handing each pack to {@code visitor}: a repository of
   * millions of blobs loads its index without a tree of JSON nodes per file (several hundred bytes
   * per blob) in memory. Unknown fields are skipped; anything malformed is damage of {@code what}.
   */
  static void read(byte[] json, String what, Visitor visitor) {
    try {
      read(GoJson.factory().createParser(json), what, visitor);
    } catch (IOException e) {
      throw GoJson.damaged(what, "not valid JSON");
    }
  }

  /** The same from a stream (which the caller closes); a read error there counts as damage too. */
  static void read(java.io.InputStream json, String what, Visitor visitor) {
    try {
      read(GoJson.factory().createParser(json), what, visitor);
    } catch (IOException e) {
      throw GoJson.damaged(what, "not valid JSON");
    }
  }

  private static void read(JsonParser parser, String what, Visitor visitor) {
    try (JsonParser p = parser) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw GoJson.damaged(what, "empty");
      }
      if (t == JsonToken.START_ARRAY) {
        readPacks(p, what, visitor);
        return;
      }
      if (t != JsonToken.START_OBJECT) {
        throw GoJson.damaged(what, "expected a JSON object");
      }
      boolean packs = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (field.equals("packs")) {
          if (v == JsonToken.VALUE_NULL) {
            continue;
          }
          if (v != JsonToken.START_ARRAY) {
            throw GoJson.damaged(what, "'packs' is not an array");
          }
          readPacks(p, what, visitor);
          packs = true;
        } else if (field.equals("supersedes") && v != JsonToken.VALUE_NULL) {
          if (v != JsonToken.START_ARRAY) {
            throw GoJson.damaged(what, "'supersedes' is not an array");
          }
          while (p.nextToken() != JsonToken.END_ARRAY) {
            visitor.supersedes(id(p, what));
          }
        } else {
          p.skipChildren();
        }
      }
      if (!packs) {
        throw GoJson.damaged(what, "'packs' missing");
      }
    } catch (JsonProcessingException e) {
      throw GoJson.damaged(what, "not valid JSON");
    } catch (IOException e) {
      throw GoJson.damaged(what, "not valid JSON"); // reading from a byte array: only syntax problems
    }
  }

  /** Reads the elements of a packs array, the parser on its START_ARRAY. */
  private static void readPacks(JsonParser p, String what, Visitor visitor) throws IOException {
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.START_OBJECT) {
        throw GoJson.damaged(what, "expected a JSON object");
      }
      ObjectId packId = null;
      List<PackedBlob> blobs = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (field.equals("id")) {
          packId = v == JsonToken.VALUE_STRING ? ObjectId.parse(p.getText()) : null;
          p.skipChildren(); // no-op for a string; skips a structure in its place
        } else if (field.equals("blobs")) {
          if (v == JsonToken.VALUE_NULL) {
            blobs = null;
            continue;
          }
          if (v != JsonToken.START_ARRAY) {
            throw GoJson.damaged(what, "'blobs' is not an array");
          }
          blobs = readBlobs(p, what);
        } else {
          p.skipChildren();
        }
      }
      if (packId == null) {
        throw GoJson.damaged(what, "'id' missing or not a string");
      }
      if (blobs == null) {
        throw GoJson.damaged(what, "'blobs' missing");
      }
      visitor.pack(packId, blobs);
    }
  }

  private static List<PackedBlob> readBlobs(JsonParser p, String what) throws IOException {
    var list = new ArrayList<PackedBlob>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.START_OBJECT) {
        throw GoJson.damaged(what, "expected a JSON object");
      }
      String id = null;
      String type = null;
      Long offset = null;
      Long length = null;
      long uncompressed = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        switch (field) {
          case "id" -> {
            id = v == JsonToken.VALUE_STRING ? p.getText() : null;
            p.skipChildren();
          }
          case "type" -> {
            type = v == JsonToken.VALUE_STRING ? p.getText() : null;
            p.skipChildren();
          }
          case "offset" -> offset = integer(p, v);
          case "length" -> length = integer(p, v);
          case "uncompressed_length" -> {
            if (v != JsonToken.VALUE_NULL) {
              Long u = integer(p, v);
              if (u == null) {
                throw GoJson.damaged(what, "'uncompressed_length' missing or not an integer");
              }
              uncompressed = inRange("uncompressed_length", u, 0, PackFile.MAX_BLOB, what);
            }
          }
          default -> p.skipChildren();
        }
      }
      if (type == null) {
        throw GoJson.damaged(what, "'type' missing or not a string");
      }
      BlobType bt =
          switch (type) {
            case "data" -> BlobType.DATA;
            case "tree" -> BlobType.TREE;
            default -> throw GoJson.damaged(what, "unknown blob type " + GoJson.printable(type));
          };
      if (id == null) {
        throw GoJson.damaged(what, "'id' missing or not a string");
      }
      if (offset == null) {
        throw GoJson.damaged(what, "'offset' missing or not an integer");
      }
      if (length == null) {
        throw GoJson.damaged(what, "'length' missing or not an integer");
      }
      list.add(
          new PackedBlob(
              bt,
              ObjectId.parse(id),
              inRange("offset", offset, 0, 1L << 40, what),
              (int) inRange("length", length, CryptoKey.OVERHEAD, PackFile.MAX_BLOB, what),
              (int) uncompressed));
    }
    return list;
  }

  /** An integral JSON number (42 or 42.0, as the tree parser accepts), else null; structures are skipped. */
  private static Long integer(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NUMBER_INT) {
      return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? null : p.getLongValue();
    }
    if (v == JsonToken.VALUE_NUMBER_FLOAT) {
      try {
        return p.getDecimalValue().longValueExact();
      } catch (ArithmeticException e) {
        return null;
      }
    }
    p.skipChildren();
    return null;
  }

  private static long inRange(String field, long v, long min, long max, String what) {
    if (v < min || v > max) {
      throw GoJson.damaged(what, "'" + field + "' out of range: " + v);
    }
    return v;
  }

  private static ObjectId id(JsonParser p, String what) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw GoJson.damaged(what, "id is not a string");
    }
    return ObjectId.parse(p.getText());
  }
}
