package io.steadfast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.junit.jupiter.api.Test;

/** Who a token makes a request, which methods only read, and which origins may change things. */
class RequestGuardsTest {
  private final ApiErrors errors = new ApiErrors(new ObjectMapper());

  @Test
  void theFullTokenMayDoAnythingTheReadTokenOnlyReadAndAnythingElseNothing() {
    RequestGuards guards = new RequestGuards("full-secret", "read-secret", 1024, errors);
    assertEquals(RequestGuards.Access.FULL, guards.accessOf(Optional.of("Bearer full-secret")));
    assertEquals(RequestGuards.Access.READ_ONLY, guards.accessOf(Optional.of("Bearer read-secret")));
    assertEquals(RequestGuards.Access.NONE, guards.accessOf(Optional.of("Bearer guess")));
    assertEquals(RequestGuards.Access.NONE, guards.accessOf(Optional.of("full-secret")), "not a bearer token");
    assertEquals(RequestGuards.Access.NONE, guards.accessOf(Optional.empty()));
  }

  @Test
  void withoutATokenEveryRequestMayDoAnything() {
    RequestGuards open = new RequestGuards("", "", 1024, errors);
    assertEquals(RequestGuards.Access.FULL, open.accessOf(Optional.empty()));
    assertEquals(RequestGuards.Access.FULL, open.accessOf(Optional.of("Bearer anything")));
  }

  @Test
  void anEmptyReadTokenIsNoToken() {
    RequestGuards guards = new RequestGuards("full-secret", "", 1024, errors);
    assertEquals(RequestGuards.Access.NONE, guards.accessOf(Optional.of("Bearer ")));
  }

  @Test
  void onlyGetAndHeadRead() {
    assertTrue(RequestGuards.reads(HttpMethods.GET));
    assertTrue(RequestGuards.reads(HttpMethods.HEAD));
    assertFalse(RequestGuards.reads(HttpMethods.POST));
    assertFalse(RequestGuards.reads(HttpMethods.DELETE));
    assertFalse(RequestGuards.reads(HttpMethods.PUT));
  }

  @Test
  void aChangeMustComeFromTheHostAndPortItWasSentTo() {
    assertTrue(RequestGuards.sameOrigin("http://127.0.0.1:8081", "127.0.0.1:8081"));
    assertTrue(RequestGuards.sameOrigin("http://Node-1.example", "node-1.example"));
    assertFalse(RequestGuards.sameOrigin("http://127.0.0.1:8082", "127.0.0.1:8081"), "another node's port is another origin");
    assertFalse(RequestGuards.sameOrigin("https://evil.example", "127.0.0.1:8081"));
    assertFalse(RequestGuards.sameOrigin("null", "127.0.0.1:8081"), "a sandboxed page's origin");
    assertFalse(RequestGuards.sameOrigin("http://127.0.0.1:8081", ""));
  }

  @Test
  void aReadTokenNeedsAFullTokenThatDiffersFromIt() {
    ConfigException alone = assertThrows(ConfigException.class, () -> RequestGuards.checkTokens(
        ConfigFactory.parseString("steadfast.http { auth-token = \"\", read-token = \"r\" }")));
    assertTrue(alone.getMessage().contains("steadfast.http.read-token"), alone.getMessage());
    ConfigException same = assertThrows(ConfigException.class, () -> RequestGuards.checkTokens(
        ConfigFactory.parseString("steadfast.http { auth-token = \"t\", read-token = \"t\" }")));
    assertTrue(same.getMessage().contains("must differ"), same.getMessage());
    RequestGuards.checkTokens(ConfigFactory.parseString("steadfast.http { auth-token = \"t\", read-token = \"r\" }"));
  }
}
