package dev.holdfast.repository;

/** The two kinds of blob a pack holds: file content chunks and directory listings (trees). */
public enum BlobType {
  DATA("data"),
  TREE("tree");

  private final String json;

  BlobType(String json) {
    this.json = json;
  }

  /** The name used in index files ("data", "tree"). */
  public String json() {
    return json;
  }
}
