package dev.holdfast.format;

import java.util.List;

/** What a target holds, oldest first. */
public interface Catalog {
  List<BackupRef> list();

  /** "latest", an exact id, or a unique suffix/prefix of one; fails clearly otherwise. */
  BackupRef find(String selector);
}
