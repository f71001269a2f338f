package dev.holdfast.config;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.util.List;
import java.util.stream.Collectors;

/** A config file with problems; carries every problem found, not just the first. */
public final class ConfigException extends HoldfastException {
  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(ExitCode.USAGE, summary(problems), "fix the lines above, then run: holdfast config check");
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String summary(List<ConfigProblem> problems) {
    if (problems.size() == 1) {
      return "invalid config: " + problems.get(0);
    }
    return "invalid config (" + problems.size() + " problems):\n  "
        + problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n  "));
  }
}
