package dev.holdfast.config;

/** One thing wrong with a config file, located by file, line and YAML key path. */
public record ConfigProblem(String file, int line, String key, String message) {
  @Override
  public String toString() {
    return file + ":" + line + ": " + key + ": " + message;
  }
}
