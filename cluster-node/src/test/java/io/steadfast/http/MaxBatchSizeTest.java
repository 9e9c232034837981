package io.steadfast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class MaxBatchSizeTest {

  @Test
  void theShippedLimitIsAThousandTasks() {
    assertEquals(1000, TaskRoutes.maxBatchSize(ConfigFactory.load()));
  }

  @Test
  void aLimitOutsideOneToTenThousandIsAConfigErrorNamingItsKey() {
    for (String value : new String[] {"0", "-5", "10001"}) {
      ConfigException error = assertThrows(ConfigException.BadValue.class,
          () -> TaskRoutes.maxBatchSize(ConfigFactory.parseString("steadfast.http.max-batch-size = " + value)));
      assertTrue(error.getMessage().contains("steadfast.http.max-batch-size"), error.getMessage());
    }
  }
}
