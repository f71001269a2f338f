package dev.holdfast.schedule;

import java.util.List;
import java.util.Objects;

/**
 * The command line a timer or crontab entry runs for a job, as arguments in which {@code {job}}
 * stands for the job's name, e.g. {@code [/usr/local/bin/holdfast, --config, /etc/holdfast.yml,
 * run, {job}]}.
 */
public record JobCommand(List<String> template) {
  public static final String JOB = "{job}";

  public JobCommand {
    template = List.copyOf(template);
    if (template.isEmpty() || template.getFirst().isBlank()) {
      throw new IllegalArgumentException("a job command needs a program to run");
    }
  }

  /** {@code <executable> run <job>}. */
  public static JobCommand holdfastRun(String executable) {
    return new JobCommand(List.of(Objects.requireNonNull(executable, "executable"), "run", JOB));
  }

  /** The arguments for {@code job}. */
  public List<String> forJob(String job) {
    return template.stream().map(a -> a.replace(JOB, job)).toList();
  }
}
