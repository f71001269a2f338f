package dev.holdfast.web;

/** A request the API answers with an error status and a message (never a stack trace). */
final class WebError extends RuntimeException {
  final int status;

  WebError(int status, String message) {
    super(message);
    this.status = status;
  }
}
