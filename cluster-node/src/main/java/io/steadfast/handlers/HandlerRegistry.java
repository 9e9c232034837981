package io.steadfast.handlers;

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

  /** Loads the handlers listed through {@link ServiceLoader}; two with one name is an error. */
  public static HandlerRegistry load() {
    Map<String, TaskHandler> byName = new TreeMap<>();
    for (TaskHandler handler : ServiceLoader.load(TaskHandler.class)) {
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
