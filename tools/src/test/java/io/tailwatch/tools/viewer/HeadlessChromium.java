package io.tailwatch.tools.viewer;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium and chromedriver (packages {@code chromium chromium-driver}; .ci/run installs
 * them), driven by Selenium with both paths given explicitly so Selenium never tries to download a
 * browser or driver. Missing browser: the test is skipped with a message, except under {@code
 * CI=true}, where it fails.
 */
final class HeadlessChromium {
  static final String BROWSER_ENV = "TAILWATCH_CHROMIUM";
  static final String DRIVER_ENV = "TAILWATCH_CHROMEDRIVER";

  private HeadlessChromium() {}

  static ChromeDriver start(Path profile) throws IOException {
    Path browser = Path.of(envOr(BROWSER_ENV, "/usr/bin/chromium"));
    Path driver = Path.of(envOr(DRIVER_ENV, "/usr/bin/chromedriver"));
    if (!Files.isExecutable(browser) || !Files.isExecutable(driver)) {
      String why =
          "no headless browser: "
              + browser
              + " and "
              + driver
              + " must exist (apt-get install chromium "
              + "chromium-driver, or set "
              + BROWSER_ENV
              + " and "
              + DRIVER_ENV
              + ")";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(why);
      }
      abort(why);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(browser.toFile());
    // the flags the machine notes prescribe: a closed network makes background connections fail
    // noisily
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--user-data-dir=" + Files.createDirectories(profile).toAbsolutePath());
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(driver.toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
