package dev.holdfast.config;

/** An off-site target of a job, with its own retention policy (empty: the job's). */
public record OffsiteSpec(String target, RetentionSpec retention) {}
