package dev.holdfast.schedule;

/**
 * A cron expression that cannot be parsed; the message names the field and the offending value,
 * e.g. {@code day-of-week: '8' is out of range 0-7}.
 *
 * <p>Unchecked and free of other holdfast types so the schedule package stays pure; the config
 * validator turns it into a config problem with the YAML path and line.
 */
public final class CronSyntaxException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String expression;
  private final String problem;

  CronSyntaxException(String expression, String problem) {
    super(problem + " (in cron expression '" + expression + "')");
    this.expression = expression;
    this.problem = problem;
  }

  /** The expression as it was given. */
  public String expression() {
    return expression;
  }

  /** What is wrong, without the expression: {@code day-of-week: '8' is out of range 0-7}. */
  public String problem() {
    return problem;
  }
}
