package dev.holdfast.backend;

import java.io.IOException;
import java.util.List;

/** The deletion loop of {@link Backend#deleteLeftovers}, shared by the backends that leave temporary files. */
final class Leftovers {
  private Leftovers() {}

  /** Deletes one leftover; false when there was nothing to delete (or it is not to be deleted). */
  @FunctionalInterface
  interface Deletion<T> {
    boolean delete(T leftover) throws IOException;
  }

  /**
   * Deletes each of {@code leftovers}, best effort: one that cannot be deleted (a root-owned file,
   * say) does not stop the others. Returns how many were deleted, or throws the first failure with
   * that count.
   */
  static <T> int deleteEach(List<T> leftovers, Deletion<T> deletion) throws IOException {
    int deleted = 0;
    IOException first = null;
    for (T t : leftovers) {
      try {
        if (deletion.delete(t)) {
          deleted++;
        }
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw new IOException("deleted " + deleted + " of " + leftovers.size() + " temporary files; " + first.getMessage(), first);
    }
    return deleted;
  }
}
