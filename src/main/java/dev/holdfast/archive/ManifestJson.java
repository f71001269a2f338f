package dev.holdfast.archive;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Writes a {@link Manifest} as JSON without Jackson: byte for byte what {@code Manifest.Reader.JSON}'s
 * default pretty printer writes (snake_case names, null fields left out, instants in ISO-8601), which
 * {@code ManifestJsonTest} checks. A backup writes its manifest last, after the archive is complete;
 * building Jackson's serializers for the manifest's records there cost about 0.2 s of a 1 GB backup's
 * wall time (class loading and record introspection, all of it on the critical path), and a backup
 * needs Jackson for nothing else. Reading manifests stays with Jackson.
 */
final class ManifestJson {
  private static final String HEX = "0123456789ABCDEF";
  private final StringBuilder out;
  private int depth;

  /** What is written so far, as UTF-8; {@link #out} holds only the text not yet moved here. */
  private final java.io.ByteArrayOutputStream written;

  private ManifestJson(long expected) {
    out = new StringBuilder(CHUNK + 1024);
    written = new java.io.ByteArrayOutputStream((int) Math.min(expected, 1L << 24));
  }

  /**
   * The text is encoded in chunks of this many characters, so a manifest of millions of entries
   * costs about twice its size while it is built (the bytes, and their final copy), not a text
   * copy, its string and its bytes.
   */
  private static final int CHUNK = 64 * 1024;

  private void spill() {
    byte[] b = out.toString().getBytes(StandardCharsets.UTF_8);
    written.write(b, 0, b.length);
    out.setLength(0);
  }

  static byte[] manifest(Manifest m) {
    ManifestJson w = new ManifestJson(512 + (m.entries() == null ? 0 : m.entries().size() * 200L));
    w.open('{');
    w.field("format", m.format());
    w.field("version", m.version());
    w.field("job", m.job());
    w.field("host", m.host());
    w.field("started", m.started());
    w.field("finished", m.finished());
    w.field("tool_version", m.toolVersion());
    if (m.archive() != null) {
      Manifest.ArchiveInfo a = m.archive();
      w.name("archive");
      w.open('{');
      w.field("name", a.name());
      w.field("size", a.size());
      w.field("sha256", a.sha256());
      w.field("compression", a.compression());
      w.field("encrypted", a.encrypted());
      w.close('}');
    }
    if (m.totals() != null) {
      Manifest.Totals t = m.totals();
      w.name("totals");
      w.open('{');
      w.field("files", t.files());
      w.field("directories", t.directories());
      w.field("links", t.links());
      w.field("bytes", t.bytes());
      w.field("warnings", t.warnings());
      w.close('}');
    }
    if (m.entries() != null) {
      w.name("entries");
      w.entryArray(m.entries());
    }
    if (m.entriesEncrypted() != null) {
      w.field("entries_encrypted", m.entriesEncrypted());
    }
    w.close('}');
    return w.bytes();
  }

  /**
   * The entry list alone (the encrypted sidecar of an encrypted archive), pretty-printed like the
   * manifest (Jackson wrote this one compact before; readers take either).
   */
  static byte[] entryList(List<Manifest.ManifestEntry> entries) {
    ManifestJson w = new ManifestJson(64 + entries.size() * 200L);
    w.entryArray(entries);
    return w.bytes();
  }

  private void entryArray(List<Manifest.ManifestEntry> entries) {
    if (entries.isEmpty()) {
      out.append("[ ]");
      return;
    }
    out.append("[ ");
    boolean first = true;
    for (Manifest.ManifestEntry e : entries) {
      if (!first) {
        out.append(", ");
      }
      first = false;
      // the array's elements sit at the array's own depth: "[ {" ... "}, {" ... "} ]"
      open('{');
      field("path", e.path());
      field("type", e.type());
      field("size", e.size());
      field("sha256", e.sha256());
      field("mode", e.mode());
      field("mtime", e.mtime());
      field("link", e.link());
      close('}');
      if (out.length() >= CHUNK) {
        spill(); // between entries: a surrogate pair is never split
      }
    }
    out.append(" ]");
  }

  private byte[] bytes() {
    spill();
    return written.toByteArray();
  }

  // --- structure: Jackson's DefaultPrettyPrinter ("{", newline, two spaces a level, "key" : value)

  private boolean firstInObject;

  private void open(char c) {
    out.append(c);
    depth++;
    firstInObject = true;
  }

  private void close(char c) {
    depth--;
    if (!firstInObject) {
      newline();
    } else {
      out.append(' '); // Jackson writes an empty object as "{ }"
    }
    out.append(c);
    firstInObject = false;
  }

  private void newline() {
    out.append('\n');
    for (int i = 0; i < depth; i++) {
      out.append("  ");
    }
  }

  private void name(String name) {
    if (!firstInObject) {
      out.append(',');
    }
    firstInObject = false;
    newline();
    out.append('"').append(name).append("\" : ");
  }

  private void field(String name, String value) {
    if (value != null) {
      name(name);
      string(value);
    }
  }

  private void field(String name, Instant value) {
    if (value != null) {
      name(name);
      string(value.toString());
    }
  }

  private void field(String name, long value) {
    name(name);
    out.append(value);
  }

  private void field(String name, boolean value) {
    name(name);
    out.append(value);
  }

  private void string(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || Character.isSurrogate(c)) {
            // Jackson's generator escapes both halves of a pair (characters beyond U+FFFF) too
            out.append("\\u").append(HEX.charAt(c >> 12)).append(HEX.charAt((c >> 8) & 15))
                .append(HEX.charAt((c >> 4) & 15)).append(HEX.charAt(c & 15));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
