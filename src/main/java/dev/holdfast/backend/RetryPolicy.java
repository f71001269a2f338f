package dev.holdfast.backend;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * When and how long to wait before retrying a failed backend call: exponential backoff with full
 * jitter, a bounded number of attempts, and retries only for errors that can pass (connection
 * reset, timeouts, server errors, throttling), never for missing objects or refused permissions.
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {
  public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(30));
  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1");
    }
  }

  /** The wait before attempt {@code attempt + 1} (attempt counts from 1). */
  public Duration delay(int attempt, RandomGenerator random) {
    long cap = Math.min(maxDelay.toMillis(), baseDelay.toMillis() * (1L << Math.min(20, attempt - 1)));
    return Duration.ofMillis(cap <= 0 ? 0 : random.nextLong(cap + 1));
  }

  /** True for failures worth another try. */
  public static boolean transientFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof NoSuchFileException || c instanceof FileAlreadyExistsException
          || c instanceof AccessDeniedException || c instanceof InterruptedIOException
              && !(c instanceof SocketTimeoutException)) {
        return false;
      }
      if (c instanceof TransientBackendException || c instanceof SocketException
          || c instanceof SocketTimeoutException || c instanceof ConnectException
          || c instanceof NoRouteToHostException || c instanceof UnknownHostException
          || c instanceof java.io.EOFException) {
        return true;
      }
      if (c.getClass().getName().startsWith("software.amazon.awssdk") && c instanceof RuntimeException) {
        String m = String.valueOf(c.getMessage());
        if (m.contains("Status Code: 5") || m.contains("SlowDown") || m.contains("Throttl")
            || m.contains("Unable to execute HTTP request")) {
          return true;
        }
      }
      if (c instanceof org.apache.sshd.common.SshException && !String.valueOf(c.getMessage()).contains("auth")) {
        return true;
      }
    }
    return false;
  }

  /** Thrown by backends for failures they know to be transient (HTTP 5xx, throttling). */
  public static final class TransientBackendException extends IOException {
    public TransientBackendException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
