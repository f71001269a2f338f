package dev.holdfast.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * A whole config file: global settings and the named jobs, in file order.
 *
 * @param stateDir where run history, locks and the log live (null: the default)
 * @param logFile the run log file (null: {@code <stateDir>/holdfast.log})
 * @param timeZone zone for archive names and retention (null: the system's)
 * @param host the host name recorded in backups (null: the machine's)
 * @param targetOptions options of targets written as mappings, by target url
 * @param metrics where metrics are served and written
 * @param log run-log rotation
 * @param web the daemon's dashboard
 */
public record ConfigSpec(
    Path file, String stateDir, String logFile, String timeZone, String host, Map<String, JobSpec> jobs,
    Map<String, Map<String, String>> targetOptions, MetricsSpec metrics, LogSpec log, WebSpec web) {}
