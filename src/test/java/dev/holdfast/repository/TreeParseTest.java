package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TreeParseTest {
  private static final String ID = "ab".repeat(32);

  private static Tree parse(String json) {
    return Tree.parse(json.getBytes(StandardCharsets.UTF_8), "tree");
  }

  @Test
  void skipsUnknownFieldsAndTakesNullsAndIntegralFloats() {
    Tree t = parse("{\"nodes\":[{\"name\":\"a\",\"type\":\"file\",\"mode\":420.0,\"mtime\":\"2021-02-03T04:05:06.7Z\","
        + "\"uid\":null,\"user\":null,\"content\":[\"" + ID + "\"],\"extended_attributes\":[{\"name\":\"x\",\"value\":\"eQ==\"}],"
        + "\"size\":5,\"generic_attributes\":{\"k\":[1,{\"z\":null}]}}],\"extra\":{\"a\":[1,2]}}\n");
    Node n = t.nodes().get(0);
    assertThat(n.name()).isEqualTo("a");
    assertThat(n.mode()).isEqualTo(420);
    assertThat(n.mtime()).isEqualTo(Instant.parse("2021-02-03T04:05:06.7Z"));
    assertThat(n.atime()).isEqualTo(Instant.EPOCH);
    assertThat(n.uid()).isZero();
    assertThat(n.user()).isNull();
    assertThat(n.size()).isEqualTo(5);
    assertThat(n.content()).containsExactly(ObjectId.parse(ID));
    assertThat(n.extendedAttributeMap()).containsOnlyKeys("x");
    assertThat(n.extendedAttributeMap().get("x")).isEqualTo("y".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void extendedAttributesRoundTripInResticsPlace() {
    Node n = Node.file("f", 0644, Instant.parse("2026-01-02T03:04:05Z"), 1, 2, 3, List.of(ObjectId.parse(ID)))
        .withExtendedAttributes(java.util.Map.of("user.b", new byte[] {0, (byte) 0xff}, "system.posix_acl_access", new byte[0],
            "user.a", "<&>".getBytes(StandardCharsets.UTF_8)));
    String json = new String(Tree.sorted(List.of(n)).toJson(), StandardCharsets.UTF_8);
    assertThat(json).contains("\"links\":1,\"extended_attributes\":[{\"name\":\"system.posix_acl_access\",\"value\":\"\"},"
        + "{\"name\":\"user.a\",\"value\":\"PCY+\"},{\"name\":\"user.b\",\"value\":\"AP8=\"}],\"content\":[");
    Node back = parse(json).nodes().get(0);
    assertThat(back).isEqualTo(n);
    assertThat(back.extendedAttributeMap().get("user.b")).containsExactly(0, 0xff);
    assertThat(parse(json.replace("\"value\":\"AP8=\"", "\"value\":null")).nodes().get(0).extendedAttributeMap().get("user.b"))
        .isEmpty();
  }

  @Test
  void damagedExtendedAttributesAreDamage() {
    for (String xattrs : List.of("{\"name\":\"a\"}", "[{\"value\":\"eQ==\"}]", "[{\"name\":\"a\",\"value\":\"!!\"}]", "[1]")) {
      assertThatThrownBy(() -> parse("{\"nodes\":[{\"name\":\"a\",\"type\":\"symlink\",\"extended_attributes\":" + xattrs + "}]}"))
          .as(xattrs).isInstanceOf(HoldfastException.class);
    }
  }

  @Test
  void aRepeatedFieldCountsWithItsLastValue() {
    assertThat(parse("{\"nodes\":[{\"name\":\"a\",\"type\":\"symlink\"}],\"nodes\":null}").nodes()).isEmpty();
    assertThat(parse("{\"nodes\":[{\"name\":\"a\",\"name\":\"b\",\"type\":\"symlink\",\"size\":\"x\",\"size\":3}]}").nodes())
        .extracting(Node::name, Node::size).containsExactly(org.assertj.core.groups.Tuple.tuple("b", 3L));
    assertThat(parse("{}").nodes()).isEmpty();
  }

  @Test
  void wrongTypesAndRangesAreDamage() {
    for (String node : List.of(
        "{\"name\":\"a\",\"type\":\"symlink\",\"mode\":1.5}",
        "{\"name\":\"a\",\"type\":\"symlink\",\"size\":1e30}",
        "{\"name\":\"a\",\"type\":\"symlink\",\"size\":99999999999999999999}",
        "{\"name\":\"a\",\"type\":\"symlink\",\"uid\":4294967296}",
        "{\"name\":\"a\",\"type\":\"symlink\",\"user\":5}",
        "{\"name\":\"a\",\"type\":\"file\",\"content\":[1]}",
        "{\"name\":\"a\",\"type\":\"file\",\"content\":{}}",
        "{\"name\":\"a\",\"type\":\"dir\",\"subtree\":[\"" + ID + "\"]}",
        "{\"name\":\"a\",\"type\":\"dir\",\"subtree\":\"" + ID + "\"} x",
        "{\"name\":null,\"type\":\"symlink\"}",
        "[]")) {
      assertThatThrownBy(() -> parse("{\"nodes\":[" + node + "]}"))
          .as(node)
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED));
    }
  }
}
