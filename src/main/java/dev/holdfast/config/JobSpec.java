package dev.holdfast.config;

import java.time.Duration;
import java.util.List;

/**
 * A job as written in the config file, after interpolation and validation.
 *
 * @param mirror the mirror settings of a {@code format: mirror} job, else null
 * @param passwordFile file holding the repository password ({@code format: repository}), or null
 * @param passwordEnv environment variable holding the repository password, or null
 * @param retryLock how long a repository job waits for another run's conflicting lock, or null (not at all)
 */
public record JobSpec(
    String name,
    int line,
    List<String> sources,
    List<String> exclude,
    List<String> excludeIfPresent,
    boolean oneFileSystem,
    String target,
    String format,
    String compression,
    Integer level,
    Integer threads,
    String archiveName,
    List<String> beforeHooks,
    List<String> afterHooks,
    List<String> onFailureHooks,
    Duration hookTimeout,
    String verify,
    java.util.List<OffsiteSpec> offsite,
    RetentionSpec retention,
    boolean forgetAfterFailure,
    Duration maxAge,
    java.util.List<String> tags,
    EncryptionSpec encryption,
    String schedule,
    Duration randomizedDelay,
    List<NotifySpec> notifiers,
    MirrorSpec mirror,
    String passwordFile,
    String passwordEnv,
    Duration retryLock) {}
