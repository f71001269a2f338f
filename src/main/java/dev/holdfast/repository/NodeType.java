package dev.holdfast.repository;

/** The node types restic's trees know, with their JSON names. */
public enum NodeType {
  FILE("file"),
  DIR("dir"),
  SYMLINK("symlink"),
  DEV("dev"),
  CHARDEV("chardev"),
  FIFO("fifo"),
  SOCKET("socket");

  private final String json;

  NodeType(String json) {
    this.json = json;
  }

  public String json() {
    return json;
  }

  static NodeType fromJson(String s) {
    for (NodeType t : values()) {
      if (t.json.equals(s)) {
        return t;
      }
    }
    return null;
  }
}
