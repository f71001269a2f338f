package dev.holdfast.job;

import dev.holdfast.backend.Backend;

/** Opens the backend for a target URL or path; the caller closes it. */
@FunctionalInterface
public interface BackendOpener {
  Backend open(String target);
}
