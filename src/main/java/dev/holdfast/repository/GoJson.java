package dev.holdfast.repository;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * JSON as restic's Go code writes it (struct field order, no spaces, Go's string escaping, RFC 3339
 * times with trimmed nanoseconds) and tolerant, bounded reading of the JSON it stores.
 */
final class GoJson {
  /**
   * jackson-core alone: the small files (keys, config, snapshots, locks) are read into node trees by
   * {@link #parse} below rather than by an ObjectMapper, whose construction and first readTree cost
   * about 0.1 s of every repository command's start-up, ahead of the key derivation.
   */
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final StringBuilder sb;
  private boolean first = true;

  GoJson() {
    this(256);
  }

  /** {@code capacity}: the expected length, so that a large document (an index file) is not copied as it grows. */
  GoJson(int capacity) {
    sb = new StringBuilder(capacity);
  }

  /**
   * The document and a newline (as Go's encoder ends it) in UTF-8, copied once: an index file of
   * 150,000 blobs is about 20 MB of JSON, and going through a String and String.getBytes made two
   * more copies of it at the end of a backup.
   */
  byte[] toUtf8Line() {
    sb.append('\n');
    int n = sb.length();
    byte[] out = new byte[n];
    char[] slice = new char[Math.min(n, 8192)];
    for (int at = 0; at < n; at += slice.length) {
      int k = Math.min(slice.length, n - at);
      sb.getChars(at, at + k, slice, 0);
      for (int i = 0; i < k; i++) {
        char c = slice[i];
        if (c >= 0x80) { // names beyond ASCII (in trees): the JDK's encoder
          return sb.toString().getBytes(StandardCharsets.UTF_8);
        }
        out[at + i] = (byte) c;
      }
    }
    return out;
  }

  GoJson beginObject() {
    comma();
    sb.append('{');
    first = true;
    return this;
  }

  GoJson endObject() {
    sb.append('}');
    first = false;
    return this;
  }

  GoJson beginArray() {
    comma();
    sb.append('[');
    first = true;
    return this;
  }

  GoJson endArray() {
    sb.append(']');
    first = false;
    return this;
  }

  /** Starts a member; the value call that follows writes no comma of its own. */
  GoJson name(String name) {
    comma();
    string(sb, name);
    sb.append(':');
    first = true;
    return this;
  }

  GoJson value(String s) {
    comma();
    string(sb, s);
    first = false;
    return this;
  }

  GoJson value(long v) {
    comma();
    sb.append(v);
    first = false;
    return this;
  }

  GoJson value(boolean v) {
    comma();
    sb.append(v);
    first = false;
    return this;
  }

  GoJson nullValue() {
    comma();
    sb.append("null");
    first = false;
    return this;
  }

  GoJson raw(String json) {
    comma();
    sb.append(json);
    first = false;
    return this;
  }

  private void comma() {
    if (!first) {
      sb.append(',');
    }
    first = false;
  }

  byte[] toBytes() {
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return sb.toString();
  }

  /** Go encoding/json's escaping: short forms, lower-case \\u00XX, and HTML-safe {@code <>&}. */
  static void string(StringBuilder sb, String s) {
    sb.append('"');
    if (needsNoEscape(s)) { // ids, hex, most names: appended at once (index and tree files are mostly these)
      sb.append(s).append('"');
      return;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '<', '>', '&', '\u2028', '\u2029' -> hex4(sb, c);
        default -> {
          if (c < 0x20) {
            hex4(sb, c);
          } else if (Character.isSurrogate(c)) {
            if (Character.isHighSurrogate(c)
                && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1))) {
              sb.append(c).append(s.charAt(++i));
            } else {
              sb.append('\ufffd'); // Go replaces invalid UTF-8 the same way
            }
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /** Whether {@link #string} would copy {@code s} unchanged. */
  private static boolean needsNoEscape(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&'
          || (c >= '\u2028' && (c == '\u2028' || c == '\u2029' || Character.isSurrogate(c)))) {
        return false;
      }
    }
    return true;
  }

  private static void hex4(StringBuilder sb, char c) {
    sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
  }

  /** RFC 3339 with nanoseconds and trailing zeros trimmed, like Go's time.RFC3339Nano. */
  static String time(OffsetDateTime t) {
    int year = t.getYear();
    if (year < 0) {
      t = t.withYear(0);
    } else if (year > 9999) {
      t = t.withYear(9999);
    }
    return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t);
  }

  static String time(Instant t) {
    return time(t.atOffset(ZoneOffset.UTC));
  }

  // --- reading ---------------------------------------------------------------------------------

  /** For streaming readers of large files (index files), with the same limits as {@link #parse}. */
  static JsonFactory factory() {
    return FACTORY;
  }

  /**
   * Parses JSON into a node tree (as ObjectMapper.readTree would: the last of duplicate names wins,
   * what follows the first value is ignored), turning any syntax problem into damage of {@code what}.
   */
  static JsonNode parse(byte[] json, String what) {
    try (JsonParser p = FACTORY.createParser(json)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw damaged(what, "empty");
      }
      return node(p, first);
    } catch (java.io.IOException e) {
      // JacksonException included: syntax errors, and the parser's own size and nesting limits
      throw damaged(what, "not valid JSON");
    }
  }

  private static JsonNode node(JsonParser p, JsonToken t) throws java.io.IOException {
    if (t == null) {
      throw new JsonParseException(p, "unexpected end of input");
    }
    return switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
          if (k != JsonToken.FIELD_NAME) {
            throw new JsonParseException(p, "expected a field name");
          }
          String name = p.currentName();
          o.set(name, node(p, p.nextToken()));
        }
        yield o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
          a.add(node(p, v));
        }
        yield a;
      }
      case VALUE_STRING -> NODES.textNode(p.getText());
      case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
        case INT -> NODES.numberNode(p.getIntValue());
        case LONG -> NODES.numberNode(p.getLongValue());
        default -> NODES.numberNode(p.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDoubleValue());
      case VALUE_TRUE -> NODES.booleanNode(true);
      case VALUE_FALSE -> NODES.booleanNode(false);
      case VALUE_NULL -> NODES.nullNode();
      default -> throw new JsonParseException(p, "unexpected " + t);
    };
  }

  static HoldfastException damaged(String what, String why) {
    return new HoldfastException(ExitCode.DAMAGED, what + " is damaged: " + why);
  }

  /** Text from a damaged file, made safe for a one-line message: short, no control characters. */
  static String printable(String s) {
    if (s == null) {
      return "(missing)";
    }
    String cut = s.length() > 60 ? s.substring(0, 60) + "…" : s;
    var sb = new StringBuilder(cut.length() + 2).append('\'');
    cut.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return sb.append('\'').toString();
  }

  static JsonNode object(JsonNode n, String what) {
    if (n == null || !n.isObject()) {
      throw damaged(what, "expected a JSON object");
    }
    return n;
  }

  static String text(JsonNode parent, String field, String what) {
    JsonNode n = parent.get(field);
    if (n == null || !n.isTextual()) {
      throw damaged(what, "'" + field + "' missing or not a string");
    }
    return n.textValue();
  }

  static String optText(JsonNode parent, String field, String what) {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw damaged(what, "'" + field + "' is not a string");
    }
    return n.textValue();
  }

  static long number(JsonNode parent, String field, long min, long max, String what) {
    JsonNode n = parent.get(field);
    if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong()) {
      throw damaged(what, "'" + field + "' missing or not an integer");
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw damaged(what, "'" + field + "' out of range: " + v);
    }
    return v;
  }

  static long optNumber(JsonNode parent, String field, long min, long max, String what) {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      return 0;
    }
    return number(parent, field, min, max, what);
  }

  static JsonNode array(JsonNode parent, String field, boolean required, String what) {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw damaged(what, "'" + field + "' missing");
      }
      return null;
    }
    if (!n.isArray()) {
      throw damaged(what, "'" + field + "' is not an array");
    }
    return n;
  }

  static byte[] base64(JsonNode parent, String field, String what) {
    String s = text(parent, field, what);
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw damaged(what, "'" + field + "' is not base64");
    }
  }

  static OffsetDateTime parseTime(String s, String what) {
    OffsetDateTime fast = parseRfc3339(s);
    if (fast != null) {
      return fast;
    }
    try {
      return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    } catch (DateTimeParseException e) {
      throw damaged(what, "invalid time " + printable(s));
    }
  }

  /**
   * The times Go writes ({@code 2006-01-02T15:04:05.999999999Z07:00}) without the formatter, which
   * costs microseconds per call and a tree has three times per node; null for anything else, which
   * the formatter then judges.
   */
  private static OffsetDateTime parseRfc3339(String s) {
    int n = s.length();
    if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if ((year | month | day | hour | minute | second) < 0) {
      return null;
    }
    int i = 19;
    int nano = 0;
    if (s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        nano = nano * 10 + (s.charAt(i) - '0');
        i++;
      }
      int len = i - start;
      if (len == 0 || len > 9) {
        return null;
      }
      for (int k = len; k < 9; k++) {
        nano *= 10;
      }
    }
    ZoneOffset offset;
    if (i == n - 1 && s.charAt(i) == 'Z') {
      offset = ZoneOffset.UTC;
    } else if (i == n - 6 && (s.charAt(i) == '+' || s.charAt(i) == '-') && s.charAt(i + 3) == ':') {
      int oh = digits(s, i + 1, 2);
      int om = digits(s, i + 4, 2);
      if ((oh | om) < 0 || oh > 18 || om > 59) {
        return null;
      }
      int total = oh * 3600 + om * 60;
      offset = ZoneOffset.ofTotalSeconds(s.charAt(i) == '-' ? -total : total);
    } else {
      return null;
    }
    try {
      return OffsetDateTime.of(year, month, day, hour, minute, second, nano, offset);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
