package dev.holdfast.repository;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
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
    var j = new GoJson().beginObject();
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
    return (j.endArray().endObject() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Parses an index in the current format or the old one (a bare array of packs). */
  static IndexFile parse(byte[] json, String what) {
    JsonNode root = GoJson.parse(json, what);
    var supersedes = new ArrayList<ObjectId>();
    JsonNode packs;
    if (root.isArray()) {
      packs = root;
    } else {
      GoJson.object(root, what);
      JsonNode sup = GoJson.array(root, "supersedes", false, what);
      if (sup != null) {
        for (JsonNode s : sup) {
          supersedes.add(id(s, what));
        }
      }
      packs = GoJson.array(root, "packs", true, what);
    }
    var out = new ArrayList<Pack>(packs.size());
    for (JsonNode p : packs) {
      GoJson.object(p, what);
      ObjectId packId = ObjectId.parse(GoJson.text(p, "id", what));
      JsonNode blobs = GoJson.array(p, "blobs", true, what);
      var list = new ArrayList<PackedBlob>(blobs.size());
      for (JsonNode b : blobs) {
        GoJson.object(b, what);
        String type = GoJson.text(b, "type", what);
        BlobType bt =
            switch (type) {
              case "data" -> BlobType.DATA;
              case "tree" -> BlobType.TREE;
              default -> throw GoJson.damaged(what, "unknown blob type " + GoJson.printable(type));
            };
        list.add(
            new PackedBlob(
                bt,
                ObjectId.parse(GoJson.text(b, "id", what)),
                GoJson.number(b, "offset", 0, 1L << 40, what),
                (int) GoJson.number(b, "length", CryptoKey.OVERHEAD, PackFile.MAX_BLOB, what),
                (int) GoJson.optNumber(b, "uncompressed_length", 0, PackFile.MAX_BLOB, what)));
      }
      out.add(new Pack(packId, list));
    }
    return new IndexFile(supersedes, out);
  }

  private static ObjectId id(JsonNode n, String what) {
    if (!n.isTextual()) {
      throw GoJson.damaged(what, "id is not a string");
    }
    return ObjectId.parse(n.textValue());
  }
}
