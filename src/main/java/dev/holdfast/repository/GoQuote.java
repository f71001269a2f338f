package dev.holdfast.repository;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Go's {@code strconv.Quote} without the surrounding quotes and its inverse, which restic applies
 * to node names before JSON encoding and after decoding (research notes, section 5).
 */
final class GoQuote {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private GoQuote() {}

  static String quote(String s) {
    var sb = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '"' || cp == '\\') {
        sb.append('\\').appendCodePoint(cp);
      } else if (Character.isSurrogate((char) cp) && cp < 0x10000) {
        sb.append('\ufffd'); // a lone surrogate cannot be UTF-8; Go would see U+FFFD after decoding
      } else if (isPrint(cp)) {
        sb.appendCodePoint(cp);
      } else {
        switch (cp) {
          case 0x07 -> sb.append("\\a");
          case '\b' -> sb.append("\\b");
          case '\f' -> sb.append("\\f");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          case 0x0b -> sb.append("\\v");
          default -> {
            if (cp < ' ' || cp == 0x7f) {
              sb.append("\\x").append(HEX[cp >> 4]).append(HEX[cp & 15]);
            } else if (cp < 0x10000) {
              sb.append("\\u");
              hex(sb, cp, 4);
            } else {
              sb.append("\\U");
              hex(sb, cp, 8);
            }
          }
        }
      }
    }
    return sb.toString();
  }

  private static void hex(StringBuilder sb, int v, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
      sb.append(HEX[(v >> shift) & 15]);
    }
  }

  /** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
  static boolean isPrint(int cp) {
    if (cp == ' ') {
      return true;
    }
    return switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.NON_SPACING_MARK,
          Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK, Character.DECIMAL_DIGIT_NUMBER,
          Character.LETTER_NUMBER, Character.OTHER_NUMBER, Character.CONNECTOR_PUNCTUATION,
          Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
          Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
          Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
      default -> false;
    };
  }

  /**
   * Go's {@code strconv.Unquote("\"" + s + "\"")}; returns null where Go fails. Byte escapes
   * ({@code \xff}) that do not form UTF-8 become U+FFFD: Java names are strings.
   */
  static String unquote(String s) {
    if (s.indexOf('\\') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
      return s;
    }
    var out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); ) {
      char c = s.charAt(i);
      if (c == '"' || c == '\n') {
        return null;
      }
      if (c != '\\') {
        int cp = s.codePointAt(i);
        i += Character.charCount(cp);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        continue;
      }
      if (i + 1 >= s.length()) {
        return null;
      }
      char e = s.charAt(i + 1);
      i += 2;
      switch (e) {
        case 'a' -> out.write(7);
        case 'b' -> out.write('\b');
        case 'f' -> out.write('\f');
        case 'n' -> out.write('\n');
        case 'r' -> out.write('\r');
        case 't' -> out.write('\t');
        case 'v' -> out.write(0x0b);
        case '\\', '"' -> out.write(e);
        case 'x', 'u', 'U' -> {
          int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + digits > s.length()) {
            return null;
          }
          long v = 0;
          for (int k = 0; k < digits; k++) {
            int d = Character.digit(s.charAt(i + k), 16);
            if (d < 0) {
              return null;
            }
            v = v << 4 | d;
          }
          i += digits;
          if (e == 'x') {
            out.write((int) v);
          } else {
            if (v > Character.MAX_CODE_POINT || (v >= 0xd800 && v <= 0xdfff)) {
              return null;
            }
            out.writeBytes(new String(Character.toChars((int) v)).getBytes(StandardCharsets.UTF_8));
          }
        }
        case '0', '1', '2', '3', '4', '5', '6', '7' -> {
          if (i + 2 > s.length()) {
            return null;
          }
          int v = e - '0';
          for (int k = 0; k < 2; k++) {
            int d = s.charAt(i + k) - '0';
            if (d < 0 || d > 7) {
              return null;
            }
            v = v * 8 + d;
          }
          if (v > 255) {
            return null;
          }
          i += 2;
          out.write(v);
        }
        default -> {
          return null;
        }
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
