package io.steadfast.handlers;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Every {@link TaskHandler} on the classpath, by name. */
public final class HandlerRegistry {
  private final Map<String, TaskHandler> byName;

  private HandlerRegistry(Map<String, TaskHandler> byName) {
    this.byName = Map.copyOf(byName);
  }

  static final String HANDLERS_PATH = "steadfast.handlers";

  /**
   * Loads the handlers listed through {@link ServiceLoader} and configures each from {@code
   * steadfast.handlers.<name>}; two with one name is an error.
   */
  public static HandlerRegistry load(Config config) {
    Map<String, TaskHandler> byName = new TreeMap<>();
    for (TaskHandler handler : ServiceLoader.load(TaskHandler.class)) {
      String path = HANDLERS_PATH + ".\"" + handler.name() + "\"";
      handler.configure(config.hasPath(path) ? config.getConfig(path) : ConfigFactory.empty());
      TaskHandler previous = byName.putIfAbsent(handler.name(), handler);
      if (previous != null) {
        throw new IllegalStateException(
            "two task handlers are named '" + handler.name() + "': "
                + previous.getClass().getName() + " and " + handler.getClass().getName());
      }
    }
    return new HandlerRegistry(byName);
  }

  /** A registry of exactly these handlers (for tests and embedding). */
  public static HandlerRegistry of(TaskHandler... handlers) {
    Map<String, TaskHandler> byName = new TreeMap<>();
    for (TaskHandler handler : handlers) byName.put(handler.name(), handler);
    return new HandlerRegistry(byName);
  }

  public Optional<TaskHandler> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public java.util.Set<String> names() {
    return new java.util.TreeSet<>(byName.keySet());
  }
}
