package dev.holdfast.job;

import java.util.function.Supplier;

/**
 * A job writes snapshots into a restic-format repository instead of archives; the password is
 * read only when the run opens the repository, and never printed.
 */
public record RepositoryFormat(Supplier<String> password) {
  @Override
  public String toString() {
    return "RepositoryFormat[password=***]";
  }
}
