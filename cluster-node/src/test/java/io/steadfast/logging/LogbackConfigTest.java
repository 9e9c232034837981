package io.steadfast.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AsyncAppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node's logback.xml (from the config module): the text and JSON formats, and the switch between them. */
class LogbackConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void textIsTheDefaultAndShowsTheTaskOnlyOnLinesAboutOne() throws Exception {
    Encoder<ILoggingEvent> encoder = encoderOf(configured(null));

    String aboutTask = encode(encoder, Map.of("taskId", "t-1", "taskType", "email", "attempt", "2"));
    assertTrue(aboutTask.contains("io.steadfast.Example [] taskId=t-1 taskType=email attempt=2 - sent 3 mails"), aboutTask);

    String aboutNoTask = encode(encoder, Map.of());
    assertTrue(aboutNoTask.contains("io.steadfast.Example [] - sent 3 mails"), aboutNoTask);
  }

  @Test
  void jsonIsChosenByTheSystemPropertyAndCarriesTheMdc() throws Exception {
    Encoder<ILoggingEvent> encoder = encoderOf(configured("json"));
    assertInstanceOf(JsonEncoder.class, encoder);

    String line = encode(encoder, Map.of("taskId", "t-1", "taskType", "email", "attempt", "2"));
    assertEquals(1, line.strip().lines().count(), "one line per event: " + line);
    JsonNode event = JSON.readTree(line);
    assertEquals("INFO", event.get("level").asText());
    assertEquals("io.steadfast.Example", event.get("loggerName").asText());
    assertEquals("sent 3 mails", event.get("formattedMessage").asText());
    assertEquals("t-1", event.get("mdc").get("taskId").asText());
    assertEquals("email", event.get("mdc").get("taskType").asText());
    assertEquals("2", event.get("mdc").get("attempt").asText());
  }

  /** A fresh logger context configured from logback.xml, with {@code steadfast.log.format} set or not. */
  private static LoggerContext configured(String format) throws Exception {
    URL config = LogbackConfigTest.class.getClassLoader().getResource("logback.xml");
    assertNotNull(config, "logback.xml of the config module on the class path");
    LoggerContext context = new LoggerContext();
    // Looked up like a system property (context properties come first), without touching this JVM's.
    if (format != null) context.putProperty("steadfast.log.format", format);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(config);
    return context;
  }

  /** The encoder of the appender the root logger's ASYNC appender hands events to. */
  @SuppressWarnings("unchecked")
  private static Encoder<ILoggingEvent> encoderOf(LoggerContext context) {
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    AsyncAppenderBase<ILoggingEvent> async = (AsyncAppenderBase<ILoggingEvent>) root.getAppender("ASYNC");
    assertNotNull(async);
    var it = async.iteratorForAppenders();
    assertTrue(it.hasNext(), "ASYNC has an appender");
    OutputStreamAppender<ILoggingEvent> target = (OutputStreamAppender<ILoggingEvent>) it.next();
    return target.getEncoder();
  }

  private static String encode(Encoder<ILoggingEvent> encoder, Map<String, String> mdc) {
    LoggingEvent event = new LoggingEvent();
    event.setLoggerName("io.steadfast.Example");
    event.setLevel(Level.INFO);
    event.setThreadName("steadfast-email-1");
    event.setMessage("sent {} mails");
    event.setArgumentArray(new Object[] {3});
    event.setTimeStamp(System.currentTimeMillis());
    event.setMDCPropertyMap(mdc);
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }
}
