package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveName;
import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.archive.Compression;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Job;
import dev.holdfast.job.RepositoryFormat;
import dev.holdfast.job.RunSteps;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast backup}: configured jobs by name, or paths straight to a target with --to. */
@Command(
    name = "backup",
    description = {
      "Back up configured jobs, or paths to a target given with --to.",
      "  holdfast backup daily",
      "  holdfast backup --to /srv/backups ~/notes /var/log/app",
      "  holdfast backup --to /srv/backups ~/app postgresql://app@db:5432/shop"
    })
final class BackupCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin RepositoryOptions repositoryPassword;

  @Parameters(paramLabel = "JOB|PATH", description = "Job names (no --to; none = every job), or paths and database URIs with --to.")
  List<String> args = new ArrayList<>();

  @Option(names = "--to", paramLabel = "TARGET", description = "Back up the given paths to this target (no config needed).")
  String to;

  @Option(names = "--job-name", paramLabel = "NAME", defaultValue = "backup",
      description = "Job name for an ad-hoc backup (used in the archive name and history). Default: ${DEFAULT-VALUE}.")
  String jobName;

  @Option(names = "--exclude", paramLabel = "GLOB", description = "Exclude matching files and directories (repeatable).")
  List<String> exclude = new ArrayList<>();

  @Option(names = "--exclude-if-present", paramLabel = "NAME", description = "Skip directories containing this file (repeatable).")
  List<String> excludeIfPresent = new ArrayList<>();

  @Option(names = {"-x", "--one-file-system"}, description = "Do not cross file system boundaries.")
  boolean oneFileSystem;

  @Option(names = "--compression", paramLabel = "gzip|zstd|none", description = "Default: gzip.")
  String compression;

  @Option(names = "--level", paramLabel = "N", description = "Compression level.")
  Integer level;

  @Option(names = "--name", paramLabel = "TEMPLATE", description = "Archive name template. Default: " + ArchiveName.DEFAULT_TEMPLATE)
  String name;

  @Option(names = "--recipient-file", paramLabel = "FILE",
      description = "Encrypt to this OpenPGP public key (armored or binary; repeatable). gpg --decrypt opens the archive.")
  List<String> recipients = new ArrayList<>();

  @Option(names = "--passphrase-file", paramLabel = "FILE", description = "Encrypt with the passphrase in this file (also possible together with recipients).")
  java.nio.file.Path passphraseFile;

  @Option(names = "--passphrase-env", paramLabel = "VAR",
      description = "Encrypt with the passphrase held by the environment variable VAR (its name, not the passphrase).")
  String passphraseEnv;

  @Option(names = "--metrics-textfile", paramLabel = "DIR",
      description = "After the runs, write holdfast.prom (Prometheus metrics) into DIR for node-exporter's textfile collector.")
  java.nio.file.Path metricsTextfile;

  @Option(names = "--sync-offsite", description = "After the backup, copy to the job's off-site targets (as `run` does).")
  boolean syncOffsite;

  BackupCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    List<Job> jobs = new ArrayList<>();
    RunSteps steps = syncOffsite ? new RunSteps(false, true, false) : RunSteps.BACKUP_ONLY;
    if (to != null) {
      if (args.isEmpty()) {
        throw HoldfastException.usage("nothing to back up", "name the paths: holdfast backup --to " + to + " PATH...");
      }
      jobs.add(adHocJob(w));
    } else {
      if (compression != null || level != null || name != null || !exclude.isEmpty() || !recipients.isEmpty()
          || passphraseFile != null || passphraseEnv != null || repositoryPassword.passwordFile != null) {
        throw HoldfastException.usage("--password-file, --compression, --level, --name, --exclude and keys apply to ad-hoc backups (--to); "
            + "for a job, set them in the config");
      }
      List<String> names = args.isEmpty() ? new ArrayList<>(w.config().jobs().keySet()) : args;
      List<JobSpec> specs = names.stream().map(w::jobSpec).toList();
      return MirrorCommand.runJobs(main, spec.commandLine(), w, specs, metricsTextfile, archiveJobs ->
          JobBatch.run(main, spec.commandLine(), w, archiveJobs.stream().map(w::runnableJob).toList(),
              j -> steps, metricsTextfile));
    }
    return JobBatch.run(main, spec.commandLine(), w, jobs, j -> steps, metricsTextfile);
  }

  private Job adHocJob(Wiring w) {
    boolean repository;
    try (var b = w.openBackend(to)) {
      repository = Wiring.holdsRepository(b);
    }
    if (repository) {
      if (compression != null || level != null || name != null || !recipients.isEmpty() || passphraseFile != null
          || passphraseEnv != null) {
        throw HoldfastException.usage(to + " holds a repository: --compression, --level, --name and archive keys do not apply",
            "a repository encrypts with its password (--password-file) and compresses with zstd");
      }
      checkJobName();
      String pass = w.repositoryPassword(repositoryPassword.passwordFile, null);
      return Job.adHoc(jobName, w.sources(args, exclude, excludeIfPresent, oneFileSystem), w.expandHome(to), null)
          .withRepository(new RepositoryFormat(() -> pass, w.retryLock()));
    }
    if (repositoryPassword.passwordFile != null) {
      throw HoldfastException.usage("--password-file applies to repositories, and " + to + " holds none",
          "create one with: holdfast init --to " + to + " --format repository");
    }
    Compression c;
    try {
      c = compression == null ? Compression.GZIP : Compression.parse(compression);
    } catch (IllegalArgumentException e) {
      throw HoldfastException.usage(e.getMessage());
    }
    int lv = level == null ? c.defaultLevel() : level;
    if (lv < c.minLevel() || lv > c.maxLevel()) {
      throw HoldfastException.usage("--level " + lv + " is out of range for " + c.configName()
          + " (" + c.minLevel() + ".." + c.maxLevel() + ")");
    }
    String template = name == null ? ArchiveName.DEFAULT_TEMPLATE : name;
    List<String> problems = ArchiveName.problems(template, c);
    if (!problems.isEmpty()) {
      throw HoldfastException.usage("--name " + template + ": " + problems.get(0));
    }
    checkJobName();
    ArchiveSettings settings = new ArchiveSettings(c, lv, Runtime.getRuntime().availableProcessors(), ArchiveName.of(template),
        w.encryption(recipients, passphrase(w)));
    return Job.adHoc(jobName, w.sources(args, exclude, excludeIfPresent, oneFileSystem), w.expandHome(to), settings);
  }

  private void checkJobName() {
    if (!jobName.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw HoldfastException.usage("--job-name may use letters, digits, '.', '_' and '-'");
    }
  }

  private char[] passphrase(Wiring w) {
    if (passphraseFile != null && passphraseEnv != null) {
      throw HoldfastException.usage("give --passphrase-file or --passphrase-env, not both");
    }
    if (passphraseEnv != null) {
      return w.envSecret(passphraseEnv);
    }
    return passphraseFile == null ? null : w.secretFile("the passphrase", passphraseFile);
  }
}
