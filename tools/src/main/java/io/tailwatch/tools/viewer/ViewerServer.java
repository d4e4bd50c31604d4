package io.tailwatch.tools.viewer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Serves the viewer page (from the classpath: no CDN, nothing fetched from outside) and the
 * server-sent event stream {@code /events} that the page reads with {@code EventSource}.
 */
public final class ViewerServer implements AutoCloseable {
  private static final Map<String, String> STATIC =
      Map.of(
          "/",
          "index.html",
          "/index.html",
          "index.html",
          "/viewer.js",
          "viewer.js",
          "/viewer.css",
          "viewer.css");
  private static final long KEEP_ALIVE_MS = 15_000;

  private final Map<String, byte[]> pages = new java.util.HashMap<>();
  private final HttpServer http;
  private final ExecutorService threads;
  private final ViewerHub hub;
  private final LongSupplier undecodable;
  private final BooleanSupplier brokerConnected;
  private volatile boolean closing;

  /**
   * @param brokerConnected whether the feed reaches Kafka: {@code /healthz} answers 503 and the
   *     page shows "disconnected" when it does not
   * @param maxPages connected pages at most (each holds one thread while open); further ones get
   *     503
   */
  public ViewerServer(
      String host,
      int port,
      ViewerHub hub,
      LongSupplier undecodable,
      BooleanSupplier brokerConnected,
      int maxPages)
      throws IOException {
    this.hub = hub;
    this.undecodable = undecodable;
    this.brokerConnected = brokerConnected;
    for (String file :
        STATIC.values()) { // read once; a jar without them fails here, not on a request
      try (InputStream in = ViewerServer.class.getResourceAsStream("/viewer/" + file)) {
        if (in == null) {
          throw new IOException("viewer resource missing from the jar: " + file);
        }
        pages.put(file, in.readAllBytes());
      }
    }
    http = HttpServer.create(new InetSocketAddress(host, port), 0);
    threads =
        Executors.newFixedThreadPool(
            maxPages + 4,
            r -> {
              Thread t = new Thread(r, "viewer-http");
              t.setDaemon(true);
              return t;
            });
    http.setExecutor(threads);
    int limit = maxPages;
    http.createContext(
        "/events",
        exchange -> {
          if (hub.subscribers() >= limit) {
            send(
                exchange,
                503,
                "text/plain",
                ("at most " + limit + " pages").getBytes(StandardCharsets.UTF_8));
            return;
          }
          stream(exchange);
        });
    http.createContext(
        "/healthz",
        exchange -> {
          boolean kafka = this.brokerConnected.getAsBoolean();
          send(
              exchange,
              kafka ? 200 : 503,
              "application/json",
              ("{\"kafkaConnected\":"
                      + kafka
                      + ",\"pages\":"
                      + hub.subscribers()
                      + ",\"undecodable\":"
                      + this.undecodable.getAsLong()
                      + "}")
                  .getBytes(StandardCharsets.UTF_8));
        });
    http.createContext("/", this::serveStatic);
  }

  public ViewerServer start() {
    http.start();
    return this;
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private void serveStatic(HttpExchange exchange) throws IOException {
    String file = STATIC.get(exchange.getRequestURI().getPath());
    if (file == null) {
      send(exchange, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
      return;
    }
    byte[] body = pages.get(file);
    String type =
        file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html";
    send(exchange, 200, type + "; charset=utf-8", body);
  }

  private void stream(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0);
    try (ViewerHub.Subscription events = hub.subscribe();
        OutputStream out = exchange.getResponseBody()) {
      out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (!closing && !events.overflowed()) {
        ViewerHub.Event e = events.next(KEEP_ALIVE_MS);
        String frame =
            e == null ? ": keep-alive\n\n" : "event: " + e.name() + "\ndata: " + e.json() + "\n\n";
        out.write(frame.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException gone) {
      // the page closed; its subscription is released by the try
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      exchange.close();
    }
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    closing = true;
    http.stop(0);
    threads.shutdownNow();
  }
}
