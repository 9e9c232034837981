package io.steadfast.process;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web console in headless Chromium against one real 3-node cluster with an API token, step
 * by step as an operator uses it: sign in, watch the overview's counts grow as tasks arrive,
 * find a task by its idempotency key and read its attempts, watch a node turn unreachable (its
 * JVM paused) and leave once killed while its tasks resume elsewhere, force a breaker open and
 * reset it, redrive a dead letter and see it succeed, purge, follow a workflow to SUCCEEDED step
 * by step, create a schedule through the form and pause it, read a type's rate limit, and, signed
 * in with the read-only token, see a change refused. Each step asserts what the page shows.
 * Screenshots of every page go to {@code target/console-screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleProcessIT {
  private static final String TOKEN = "console-admin-token";
  private static final String READ_TOKEN = "console-read-token";
  /** Debian's packages; set explicitly so that Selenium Manager never tries to download a browser. */
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  /** The console pushes figures every 2 s and the read side trails the journal; a busy machine adds more. */
  private static final Duration SEEN = Duration.ofSeconds(30);
  private static final Duration MEMBERSHIP = Duration.ofSeconds(45);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A task type with a cluster-wide rate limit, for the rate-limit page. */
  private static final String LIMITED = "limited";
  private static final String SCHEDULE = "console-every-second";

  private final Path screenshots = Path.of("target", "console-screenshots").toAbsolutePath();
  private LocalCluster cluster;
  private WebDriver browser;
  private String console;
  private int shots;

  @BeforeAll
  void start() throws Exception {
    cluster = LocalCluster.start("console", 3, List.of(
        "-Dsteadfast.http.auth-token=" + TOKEN,
        "-Dsteadfast.http.read-token=" + READ_TOKEN,
        "-Dsteadfast.console.push-interval=1s",
        "-Dsteadfast.task-types." + LIMITED + ".handler=noop",
        "-Dsteadfast.task-types." + LIMITED + ".rate-limit.permits=5",
        "-Dsteadfast.task-types." + LIMITED + ".rate-limit.per=1s"));
    Files.createDirectories(screenshots);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1440,1000");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(Path.of(CHROMEDRIVER).toFile())
        .usingAnyFreePort()
        .build();
    browser = new ChromeDriver(service, options);
    console = "http://127.0.0.1:" + cluster.node(1).httpPort;
  }

  @AfterAll
  void stop() {
    if (browser != null) browser.quit();
    if (cluster != null) cluster.close();
  }

  // ---------------------------------------------------------------- the steps

  @Test
  @Order(1)
  void signsInAndSeesTheOverviewCountsGrowAsTasksAreSubmitted() throws Exception {
    browser.get(console + "/");
    see("the sign-in dialog", () -> browser.findElement(By.id("sign-in")).isDisplayed());
    assertTrue(browser.getCurrentUrl().contains("/console/"), "/ leads to the console: " + browser.getCurrentUrl());
    signIn(TOKEN);
    see("3 of 3 members up", () -> text("members-up").equals("3 of 3"));
    see("the stream is live", () -> text("live").equals("live"));
    see("a count of succeeded tasks", () -> count("count-SUCCEEDED") >= 0);
    long before = count("count-SUCCEEDED");

    for (int i = 0; i < 30; i++) submit(cluster.node(1 + i % 3), "{\"type\":\"noop\",\"payload\":{}}");
    see("30 more succeeded tasks on the overview, without a reload", () -> count("count-SUCCEEDED") >= before + 30);
    WebElement noopRow = browser.findElement(By.xpath("//tbody/tr[th[normalize-space()='noop']]"));
    // The row's cells follow the header's columns after the type: found by name, not by place.
    List<String> columns = noopRow.findElements(By.xpath("ancestor::table/thead//th")).stream().map(WebElement::getText).toList();
    int succeeded = columns.indexOf("Succeeded") - 1;
    assertTrue(succeeded >= 0, "a Succeeded column: " + columns);
    assertTrue(Long.parseLong(noopRow.findElements(By.tagName("td")).get(succeeded).getText().replace(",", "")) >= 30,
        "the noop row's succeeded count: " + noopRow.getText());
    screenshot("overview");
    assertEveryControlNamed("overview");
  }

  @Test
  @Order(2)
  void findsATaskByItsIdempotencyKeyOrIdAndReadsItsAttempts() throws Exception {
    String id = submit(cluster.node(2), "{\"type\":\"flaky\",\"payload\":{\"failTimes\":1},\"idempotencyKey\":\"console-flaky\"}");
    browser.findElement(By.linkText("Tasks")).click();
    // The listing is the read side's: search again until it has the task.
    see("the task found by its key", () -> {
      WebElement search = browser.findElement(By.id("search"));
      search.clear();
      search.sendKeys("console-flaky");
      browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
      return !browser.findElements(By.linkText(id)).isEmpty();
    });
    screenshot("tasks-search");
    assertEveryControlNamed("tasks-search");
    browser.findElement(By.linkText(id)).click();
    see("the retried attempt and the successful one", () -> attemptTexts().size() == 2
        && attemptTexts().get(0).contains("Attempt 1") && attemptTexts().get(0).contains("FAILED")
        && attemptTexts().get(1).contains("Attempt 2") && attemptTexts().get(1).contains("SUCCEEDED"));
    assertEquals(id, browser.findElement(By.id("task-id")).getText());
    assertTrue(browser.findElement(By.id("main")).getText().contains("\"failTimes\": 1"), "the payload is shown");
    screenshot("task");
    assertEveryControlNamed("task");

    // An id typed into the search opens the task itself.
    browser.findElement(By.linkText("Tasks")).click();
    see("the search box", () -> browser.findElement(By.id("search")).isDisplayed());
    browser.findElement(By.id("search")).sendKeys(id);
    browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
    see("the task found by its id", () -> browser.findElement(By.id("task-id")).getText().equals(id));
  }

  @Test
  @Order(3)
  void aPausedNodeTurnsUnreachableAndOnceKilledLeavesWhileItsTasksResume() throws Exception {
    LocalCluster.Node doomed = cluster.node(3);
    List<String> sleepers = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      sleepers.add(submit(cluster.node(1 + i % 3), "{\"type\":\"sleep\",\"payload\":{\"durationMs\":30000,\"checkpointEveryMs\":1000}}"));
    }
    AtomicReference<String> onDoomed = new AtomicReference<>();
    waitFor("a sleep task running on node 3").atMost(SEEN).pollInterval(Duration.ofMillis(250)).until(() -> {
      for (String id : sleepers) {
        JsonNode task = read(cluster.node(1), "/api/v1/tasks/" + id);
        JsonNode history = task == null ? null : task.get("history");
        if (history != null && history.size() > 0 && history.get(history.size() - 1).get("node").asText().equals(doomed.name())
            && history.get(history.size() - 1).get("endedAt").isNull()) {
          onDoomed.set(id);
          return true;
        }
      }
      return false;
    });

    browser.findElement(By.linkText("Cluster")).click();
    see("node 3 up and running tasks", () -> memberStatus(doomed).equals("up") && memberRunning(doomed) > 0);
    screenshot("cluster");
    assertEveryControlNamed("cluster");

    cluster.pause(doomed);
    long pausedAt = System.currentTimeMillis();
    see("node 3 unreachable", MEMBERSHIP, () -> memberStatus(doomed).startsWith("unreachable"));
    System.out.printf("CONSOLE: node 3 shown unreachable %d ms after SIGSTOP%n", System.currentTimeMillis() - pausedAt);
    screenshot("cluster-unreachable");
    browser.findElement(By.linkText("Overview")).click();
    see("one member unreachable on the overview", () -> text("members-unreachable").equals("1"));
    screenshot("overview-during-node-kill");

    cluster.kill(doomed);
    long killedAt = System.currentTimeMillis();
    browser.findElement(By.linkText("Cluster")).click();
    see("node 3 removed", MEMBERSHIP, () -> memberStatus(doomed).startsWith("removed"));
    System.out.printf("CONSOLE: node 3 shown removed %d ms after SIGKILL%n", System.currentTimeMillis() - killedAt);
    assertTrue(changes().stream().anyMatch(line -> line.contains(doomed.name()) && line.contains("unreachable")),
        "the membership changes list node 3 turning unreachable: " + changes());
    screenshot("cluster-removed");

    browser.get(console + "/console/#/tasks/" + onDoomed.get());
    see("the lost attempt on node 3 beside the resumed one elsewhere", MEMBERSHIP, () -> {
      List<String> attempts = attemptTexts();
      int lost = -1;
      for (int i = 0; i < attempts.size(); i++) {
        if (attempts.get(i).contains("NODE_LOST") && attempts.get(i).contains(doomed.name())) lost = i;
      }
      return lost >= 0 && lost + 1 < attempts.size() && !attempts.get(lost + 1).contains(doomed.name());
    });
    screenshot("task-resumed");
  }

  @Test
  @Order(4)
  void forcesABreakerOpenAndResetsItAfterConfirming() {
    browser.findElement(By.linkText("Circuit breakers")).click();
    see("the email breaker closed", () -> breakerState("email").equals("CLOSED"));
    breakerButton("email", "Force open").click();
    confirm("Force the email breaker open?");
    see("the email breaker forced open", () -> breakerState("email").equals("FORCED_OPEN"));
    assertEquals("The email breaker is FORCED_OPEN.", text("notice"));
    assertTrue(breaker("email").getText().contains("not until reset"), breaker("email").getText());
    screenshot("breakers");
    assertEveryControlNamed("breakers");

    breakerButton("email", "Reset").click();
    confirm("Reset the email breaker?");
    see("the email breaker closed again", () -> breakerState("email").equals("CLOSED"));
    breaker("email").findElement(By.tagName("summary")).click();
    assertTrue(breaker("email").getText().contains("FORCED_OPEN → CLOSED"), breaker("email").getText());
  }

  @Test
  @Order(5)
  void redrivesADeadLetterAndSeesItSucceed() throws Exception {
    String id = submit(cluster.node(1), "{\"type\":\"flaky\",\"payload\":{\"failTimes\":1,\"error\":\"permanent\"}}");
    browser.findElement(By.linkText("Dead letters")).click();
    WebElement row = awaitDeadLetterRow(id);
    assertTrue(row.getText().contains("flaky"), row.getText());
    screenshot("dead-letters");
    assertEveryControlNamed("dead-letters");
    row.findElement(By.xpath(".//button[normalize-space()='Redrive']")).click();
    confirm("Redrive 1 task?");
    see("the redrive answered", () -> text("notice").equals("Redriven: 1 task."));
    see("the entry gone from the queue", () -> browser.findElements(By.cssSelector("tr[data-task='" + id + "']")).isEmpty());

    browser.get(console + "/console/#/tasks/" + id);
    see("the redriven task succeeded", () -> attemptTexts().size() == 2
        && attemptTexts().get(0).contains("FAILED") && attemptTexts().get(1).contains("SUCCEEDED")
        && browser.findElement(By.cssSelector(".task-head .badge")).getText().equals("SUCCEEDED"));
  }

  @Test
  @Order(6)
  void purgesDeadLettersAfterConfirming() throws Exception {
    String first = submit(cluster.node(2), "{\"type\":\"flaky\",\"payload\":{\"failTimes\":1,\"error\":\"permanent\"}}");
    String second = submit(cluster.node(1), "{\"type\":\"flaky\",\"payload\":{\"failTimes\":1,\"error\":\"permanent\"}}");
    browser.findElement(By.linkText("Dead letters")).click();
    awaitDeadLetterRow(first);
    awaitDeadLetterRow(second);
    WebElement hours = browser.findElement(By.id("purge-hours"));
    hours.clear();
    hours.sendKeys("0");
    browser.findElement(By.cssSelector("#purge button[type=submit]")).click();
    confirm("Purge dead letters?");
    see("two entries purged", () -> text("notice").equals("Purged: 2 dead letters."));
    see("the queue empty", () -> !browser.findElements(By.id("dl-empty")).isEmpty()
        && text("dl-total").startsWith("0 dead letters"));
    screenshot("dead-letters-purged");
  }

  @Test
  @Order(7)
  void followsAWorkflowToSucceededStepByStepAndOpensAStepsTask() throws Exception {
    String id = post("/api/v1/workflows", """
        {"name": "console-diamond", "steps": [
          {"name": "a", "type": "echo", "payload": {"account": 42}},
          {"name": "b", "type": "noop", "dependsOn": ["a"]},
          {"name": "c", "type": "echo", "dependsOn": ["a"]},
          {"name": "d", "type": "echo", "dependsOn": ["b", "c"]}]}""").get("id").asText();
    browser.findElement(By.linkText("Workflows")).click();
    By row = By.cssSelector("tr[data-workflow='" + id + "']");
    // The listing is the read side's: apply again until it has the workflow.
    see("the workflow listed", () -> applyUntil(row));
    assertTrue(browser.findElement(row).getText().contains("console-diamond"), browser.findElement(row).getText());
    screenshot("workflows");
    assertEveryControlNamed("workflows");

    browser.findElement(row).findElement(By.linkText(id)).click();
    see("the workflow SUCCEEDED with its four steps SUCCEEDED", () -> text("workflow-status").equals("SUCCEEDED")
        && stepStates().equals(List.of("SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED")));
    assertEquals("4 of 4", text("workflow-progress"));
    assertEquals("4", browser.findElement(By.cssSelector("#workflow-counts [data-state='SUCCEEDED']")).getText());
    List<List<String>> stages = browser.findElements(By.cssSelector("#workflow-graph > li.stage")).stream()
        .map(stage -> stage.findElements(By.cssSelector("li[data-step]")).stream().map(s -> s.getAttribute("data-step")).toList())
        .toList();
    assertEquals(List.of(List.of("a"), List.of("b", "c"), List.of("d")), stages, "the diamond's stages in dependency order");
    assertFalse(browser.findElement(By.xpath("//button[normalize-space()='Cancel workflow']")).isEnabled(), "a succeeded workflow cannot be cancelled");
    screenshot("workflow");
    assertEveryControlNamed("workflow");

    String taskOfD = read(cluster.node(1), "/api/v1/workflows/" + id).get("steps").get(3).get("taskId").asText();
    browser.findElement(By.cssSelector("table.steps tr[data-step='d'] td.task a")).click();
    see("the task of step d", () -> text("task-id").equals(taskOfD)
        && browser.findElement(By.cssSelector(".task-head .badge")).getText().equals("SUCCEEDED"));

    browser.get(console + "/console/#/workflows?status=SUCCEEDED&name=console-diamond");
    see("the workflow listed as SUCCEEDED with 4 of 4 steps", () -> applyUntil(row)
        && browser.findElement(row).findElement(By.cssSelector("td.status")).getText().equals("SUCCEEDED")
        && browser.findElement(row).getText().contains("4 of 4"));
  }

  @Test
  @Order(8)
  void createsAScheduleThroughTheFormSeesItsRunsGrowAndPausesIt() {
    browser.findElement(By.linkText("Schedules")).click();
    see("the form for a new schedule", () -> browser.findElement(By.id("schedule-id")).isDisplayed());
    browser.findElement(By.id("schedule-id")).sendKeys(SCHEDULE);
    browser.findElement(By.id("schedule-cron")).sendKeys("every second");
    browser.findElement(By.id("schedule-type")).sendKeys("noop");
    WebElement payload = browser.findElement(By.id("schedule-payload"));
    payload.clear();
    payload.sendKeys("{\"from\": \"console\"}");
    WebElement create = browser.findElement(By.xpath("//button[normalize-space()='Create schedule']"));
    create.click();
    see("the API's message naming the cron", () -> text("schedule-problems").startsWith("cron")
        && "true".equals(browser.findElement(By.id("schedule-cron")).getAttribute("aria-invalid")));
    screenshot("schedule-form-refused");
    assertEveryControlNamed("schedules");

    WebElement cron = browser.findElement(By.id("schedule-cron"));
    cron.clear();
    cron.sendKeys("@every 1s");
    create.click();
    see("the new schedule's page, ACTIVE", () -> text("schedule-id-title").equals(SCHEDULE) && text("schedule-status").equals("ACTIVE"));
    see("a first run", () -> count("schedule-fired") >= 1);
    long first = count("schedule-fired");
    see("its runs grow", () -> count("schedule-fired") > first && runLinks().size() >= 2);
    assertTrue(runLinks().stream().allMatch(href -> href.matches(".*#/tasks/[0-9a-f-]{36}")), "each run links to its task: " + runLinks());
    screenshot("schedule");
    assertEveryControlNamed("schedule");

    scheduleButton("Pause").click();
    confirm("Pause schedule " + SCHEDULE + "?");
    see("the schedule PAUSED", () -> text("schedule-status").equals("PAUSED")
        && text("notice").equals("Schedule " + SCHEDULE + " is PAUSED."));
    assertTrue(browser.findElement(By.id("schedule")).getText().contains("none while paused"), "no next fire times while paused");
    long paused = count("schedule-fired");
    scheduleButton("Trigger now").click();
    confirm("Trigger schedule " + SCHEDULE + " now?");
    see("a manual run while paused", () -> count("schedule-fired") >= paused + 1
        && browser.findElement(By.cssSelector("#schedule-runs tbody")).getText().contains("MANUAL"));

    browser.findElement(By.linkText("Schedules")).click();
    By row = By.cssSelector("tr[data-schedule='" + SCHEDULE + "']");
    see("the schedule listed, paused, with its runs", () -> browser.findElement(row).findElement(By.cssSelector("td.status")).getText().equals("PAUSED")
        && Long.parseLong(browser.findElement(row).findElement(By.cssSelector("td.runs")).getText()) >= paused + 1);
    assertTrue(browser.findElement(row).getText().contains("@every 1s"), browser.findElement(row).getText());
    screenshot("schedules");
  }

  @Test
  @Order(9)
  void showsTheRateLimitedTypeWhereItsLimiterRunsAndThisNodesPool() throws Exception {
    for (int i = 0; i < 10; i++) post("/api/v1/tasks", "{\"type\":\"" + LIMITED + "\",\"payload\":{}}");
    browser.findElement(By.linkText("Rate limits")).click();
    By row = By.cssSelector("tr[data-type='" + LIMITED + "']");
    see("the limited type's limit and its limiter's node", () -> browser.findElement(row).findElement(By.cssSelector("td.limit")).getText().equals("5 per 1 s")
        && browser.findElement(row).findElement(By.cssSelector("td.hosted")).getText().matches("127\\.0\\.0\\.1:\\d+"));
    see("the node answering", () -> text("rate-limits-node").contains(cluster.node(1).name()));
    see("permits leased for the 10 tasks", () -> Long.parseLong(browser.findElement(row).findElement(By.cssSelector("td.leased")).getText().replace(",", "")) >= 10);
    screenshot("rate-limits");
    assertEveryControlNamed("rate-limits");
  }

  @Test
  @Order(10)
  void theReadOnlyTokenSeesEverythingAndChangesNothing() throws Exception {
    browser.findElement(By.id("sign-out")).click();
    see("the sign-in dialog again", () -> browser.findElement(By.id("sign-in")).isDisplayed());
    signIn(READ_TOKEN);
    browser.findElement(By.linkText("Overview")).click();
    see("the overview, read-only", () -> text("members-up").equals("2 of 2"));
    browser.findElement(By.linkText("Circuit breakers")).click();
    see("the breakers", () -> breakerState("email").equals("CLOSED"));
    breakerButton("email", "Force open").click();
    confirm("Force the email breaker open?");
    see("the change refused", () -> text("notice").contains("the read-only token may only read (GET)")
        && text("notice").contains("403 forbidden"));
    assertEquals("CLOSED", breakerState("email"));
    screenshot("read-only-refused");

    // The same through the API, as a script would see it; and nothing for another origin.
    HttpResponse<String> refused = request("POST", "/api/v1/circuit-breakers/email/open", READ_TOKEN, null);
    assertEquals(403, refused.statusCode(), refused.body());
    assertEquals("forbidden", JSON.readTree(refused.body()).get("error").asText());
    assertEquals("CLOSED", JSON.readTree(request("GET", "/api/v1/circuit-breakers/email", READ_TOKEN, null).body())
        .get("state").asText());
    HttpResponse<String> crossOrigin = request("POST", "/api/v1/circuit-breakers/email/open", TOKEN, "http://elsewhere.example");
    assertEquals(403, crossOrigin.statusCode(), crossOrigin.body());
    assertEquals("cross_origin", JSON.readTree(crossOrigin.body()).get("error").asText());
    HttpResponse<String> read = request("GET", "/api/v1/cluster", TOKEN, "http://elsewhere.example");
    assertFalse(read.headers().firstValue("Access-Control-Allow-Origin").isPresent(), "no CORS header for another origin");
  }

  // ---------------------------------------------------------------- what the page shows

  private void signIn(String token) {
    WebElement field = browser.findElement(By.id("token"));
    field.sendKeys(token);
    browser.findElement(By.cssSelector("#sign-in-form button[type=submit]")).click();
    see("the sign-in dialog closed", () -> !browser.findElement(By.id("sign-in")).isDisplayed());
  }

  /**
   * Every visible input, select and button has a name a screen reader can say: a label, an
   * aria-label, or (a button) its text.
   */
  private void assertEveryControlNamed(String page) {
    Object unnamed = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll('input, select, textarea, button')]"
            + ".filter(el => el.getClientRects().length > 0)"
            + ".filter(el => !el.getAttribute('aria-label') && !(el.labels && el.labels.length)"
            + "  && !(el.tagName === 'BUTTON' && el.textContent.trim()))"
            + ".map(el => el.outerHTML.slice(0, 160));");
    assertEquals(List.of(), unnamed, "controls without a name on the " + page + " page");
  }

  private void confirm(String title) {
    see("the confirmation '" + title + "'", () -> browser.findElement(By.id("confirm")).isDisplayed()
        && text("confirm-title").equals(title));
    browser.findElement(By.id("confirm-ok")).click();
  }

  private String text(String id) {
    return browser.findElement(By.id(id)).getText().trim();
  }

  private long count(String id) {
    String shown = text(id).replace(",", "");
    return shown.matches("\\d+") ? Long.parseLong(shown) : -1;
  }

  /** The listing is not polled: apply the filter again until {@code row} is there. */
  private boolean applyUntil(By row) {
    if (browser.findElements(row).isEmpty()) {
      browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
      return false;
    }
    return true;
  }

  private List<String> stepStates() {
    return browser.findElements(By.cssSelector("table.steps tr[data-step] td.state")).stream().map(WebElement::getText).toList();
  }

  private List<String> runLinks() {
    return browser.findElements(By.cssSelector("#schedule-runs tbody a")).stream().map(a -> a.getAttribute("href")).toList();
  }

  private WebElement scheduleButton(String label) {
    return browser.findElement(By.xpath("//div[@id='schedule-actions']/button[normalize-space()='" + label + "']"));
  }

  private List<String> attemptTexts() {
    return browser.findElements(By.cssSelector("#attempts li.attempt")).stream().map(WebElement::getText).toList();
  }

  private List<String> changes() {
    return browser.findElements(By.cssSelector("#changes li")).stream().map(WebElement::getText).toList();
  }

  private WebElement member(LocalCluster.Node node) {
    return browser.findElement(By.cssSelector("tr[data-node='" + node.name() + "']"));
  }

  private String memberStatus(LocalCluster.Node node) {
    return member(node).findElement(By.cssSelector("td.status")).getText().trim();
  }

  private int memberRunning(LocalCluster.Node node) {
    String shown = member(node).findElement(By.cssSelector("td.running")).getText().trim();
    return shown.matches("\\d+") ? Integer.parseInt(shown) : -1;
  }

  private WebElement breaker(String type) {
    return browser.findElement(By.cssSelector("article.breaker[data-type='" + type + "']"));
  }

  private String breakerState(String type) {
    return breaker(type).findElement(By.cssSelector(".state")).getText().trim();
  }

  private WebElement breakerButton(String type, String label) {
    return breaker(type).findElement(By.xpath(".//button[normalize-space()='" + label + "']"));
  }

  /** The page does not poll the queue: apply the filter again until the dead letter is there. */
  private WebElement awaitDeadLetterRow(String taskId) {
    By row = By.cssSelector("tr[data-task='" + taskId + "']");
    see("dead letter " + taskId + " listed", () -> {
      if (browser.findElements(row).isEmpty()) {
        browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
        return false;
      }
      return true;
    });
    return browser.findElement(row);
  }

  /** Waits, bounded, until the page shows {@code what}; the page redraws, so a vanished element is retried. */
  private void see(String what, java.util.concurrent.Callable<Boolean> shown) {
    see(what, SEEN, shown);
  }

  private void see(String what, Duration atMost, java.util.concurrent.Callable<Boolean> shown) {
    try {
      waitFor("the console shows " + what).atMost(atMost).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(shown);
    } catch (RuntimeException | AssertionError e) {
      screenshot("failed-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
      throw e;
    }
  }

  private void screenshot(String name) {
    try {
      Path file = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(file, screenshots.resolve(String.format("%02d-%s.png", ++shots, name)), StandardCopyOption.REPLACE_EXISTING);
    } catch (Exception e) {
      System.out.println("CONSOLE: no screenshot " + name + ": " + e);
    }
  }

  // ---------------------------------------------------------------- the API, with the token

  private JsonNode post(String path, String body) throws Exception {
    HttpResponse<String> answer = cluster.send(HttpRequest.newBuilder(cluster.node(1).api(path))
        .timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + TOKEN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build());
    assertTrue(answer.statusCode() / 100 == 2, answer.statusCode() + " " + answer.body());
    return JSON.readTree(answer.body());
  }

  private String submit(LocalCluster.Node node, String body) throws Exception {
    HttpResponse<String> answer = cluster.send(HttpRequest.newBuilder(node.api("/api/v1/tasks"))
        .timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + TOKEN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build());
    assertTrue(answer.statusCode() == 202 || answer.statusCode() == 200, answer.statusCode() + " " + answer.body());
    return JSON.readTree(answer.body()).get("id").asText();
  }

  private JsonNode read(LocalCluster.Node node, String path) throws Exception {
    HttpResponse<String> answer = cluster.send(HttpRequest.newBuilder(node.api(path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + TOKEN).build());
    return answer.statusCode() == 200 ? JSON.readTree(answer.body()) : null;
  }

  private HttpResponse<String> request(String method, String path, String token, String origin) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(cluster.node(1).api(path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + token).method(method, HttpRequest.BodyPublishers.noBody());
    if (origin != null) request.header("Origin", origin);
    return cluster.send(request.build());
  }
}
