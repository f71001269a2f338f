package dev.holdfast.source;

import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads credentials for database clients from files; their content never appears in messages. */
final class Secrets {
  private Secrets() {}

  static String firstLine(String file) {
    try {
      String s = Files.readString(Path.of(file));
      int nl = s.indexOf('\n');
      return (nl >= 0 ? s.substring(0, nl) : s).replace("\r", "");
    } catch (IOException e) {
      throw HoldfastException.usage("cannot read the database password from " + file + ": "
          + HoldfastException.reason(e));
    }
  }
}
