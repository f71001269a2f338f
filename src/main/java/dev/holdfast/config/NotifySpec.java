package dev.holdfast.config;

import java.util.List;
import java.util.Set;

/** One notifier of a job as written in the config; {@code on} holds the outcomes that trigger it. */
public sealed interface NotifySpec {
  /** Outcomes a notifier can be told about; {@code failure} alone by default. */
  List<String> OUTCOMES = List.of("failure", "success", "partial", "start", "skipped");

  Set<String> on();

  record Email(List<String> to, String from, String smtpHost, int smtpPort, boolean starttls, boolean tls,
      String username, String passwordFile, String caFile, Set<String> on) implements NotifySpec {}

  record Webhook(String url, Set<String> on) implements NotifySpec {}

  /** healthchecks.io-style pings: always start, success and fail. */
  record Healthchecks(String url, Set<String> on) implements NotifySpec {}

  record Ntfy(String url, Set<String> on) implements NotifySpec {}
}
