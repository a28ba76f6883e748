package dev.hybridonboarding.it;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Calls the API as a machine does. A machine at first boot retries while the service says it is briefly unable
 * to answer — 503 with Retry-After, the API stage's own 429, or WAF's 429 for its address — so the enrolling calls
 * here do the same: what a test asserts is the answer a machine ends up with, which load on the machine cannot
 * change. The {@code ...Once} calls send exactly one request, for tests of those answers themselves.
 */
final class Api {

    /** Longer than any outage a test provokes by load alone; a machine's install script waits as long. */
    private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(120);

    private static final Duration BACKOFF = Duration.ofMillis(500);
    /** The error codes of the API's 429s that ask a machine to come back, unlike too_many_failures. */
    private static final Set<String> EDGE_LIMITS = Set.of("too_many_requests", "source_rate_limited");

    private final LocalStack stack;

    Api(LocalStack stack) {
        this.stack = stack;
    }

    static Map<String, Object> body(String hostname, String machineId, Map<String, String> tags) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("hostname", hostname);
        body.put("platform", "linux");
        if (machineId != null) {
            body.put("machineId", machineId);
        }
        if (tags != null) {
            body.put("tags", tags);
        }
        return body;
    }

    /** Enrolls as a machine does, retrying busy answers; the last answer is the one the machine acts on. */
    ApiResponse enroll(String token, Map<String, Object> body) {
        return enrollAsMachine(token, body).last();
    }

    /** Every answer a machine got on its way to a definitive one. */
    Answers enrollAsMachine(String token, Map<String, Object> body) {
        return retryWhileBusy(() -> enrollOnce(token, body));
    }

    ApiResponse enrollOnce(String token, Map<String, Object> body) {
        return post("/v1/activations", token, "application/json", json(body));
    }

    /** The answers of one machine's attempts, oldest first. */
    record Answers(List<ApiResponse> all) {

        ApiResponse last() {
            return all.get(all.size() - 1);
        }

        boolean wasBusyBefore() {
            return all.size() > 1;
        }

        /**
         * Whether the machine was told it enrolled for the first time, or got its activation back only after an
         * attempt it was told to repeat (whose commit may have gone through): never a replay out of nowhere.
         */
        boolean enrolledAsANewMachine() {
            int status = last().status();
            return status == 201 || (status == 200 && wasBusyBefore());
        }
    }

    /**
     * What the install scripts retry: a busy or unreachable service (502, 503, 504), and a 429 from the edge: the
     * stage's limits (too_many_requests) or WAF's per-source limit (source_rate_limited).
     */
    static boolean isBusy(ApiResponse response) {
        return response.status() == 502
                || response.status() == 503
                || response.status() == 504
                || (response.status() == 429 && EDGE_LIMITS.contains(String.valueOf(response.errorCode())));
    }

    private static Answers retryWhileBusy(Supplier<ApiResponse> call) {
        Instant giveUp = Instant.now().plus(GIVE_UP_AFTER);
        List<ApiResponse> answers = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            ApiResponse response = call.get();
            answers.add(response);
            if (!isBusy(response) || Instant.now().isAfter(giveUp)) {
                return new Answers(List.copyOf(answers));
            }
            pause(waitBefore(response, attempt));
        }
    }

    /** Retry-After as the service asks, or a growing pause without one, with jitter so machines spread. */
    private static Duration waitBefore(ApiResponse response, int attempt) {
        String retryAfter = response.header("Retry-After");
        Duration base = retryAfter != null
                ? Duration.ofSeconds(Long.parseLong(retryAfter))
                : BACKOFF.multipliedBy(Math.min(attempt, 8));
        return base.plusMillis(ThreadLocalRandom.current().nextLong(250));
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    ApiResponse post(String path, String token, String contentType, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(stack.api(path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("User-Agent", "hybrid-onboarding-it/1.0");
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> response = stack.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return response(response.statusCode(), response.headers().map(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The same request sent from another loopback address (127.0.0.0/8 is all loopback on Linux), so that the
     * API sees a different source IP; java.net.http cannot choose its local address. Busy answers are retried
     * as by {@link #enroll}.
     */
    ApiResponse enrollFrom(String sourceAddress, String token, Map<String, Object> body) {
        return enrollAsMachineFrom(sourceAddress, token, body).last();
    }

    Answers enrollAsMachineFrom(String sourceAddress, String token, Map<String, Object> body) {
        return retryWhileBusy(() -> postOnceFrom(sourceAddress, token, "application/json", json(body)));
    }

    /** One POST /v1/activations from the given loopback address, as {@link #enrollFrom} sends it. */
    ApiResponse postOnceFrom(String sourceAddress, String token, String contentType, String body) {
        URI api = stack.api("/v1/activations");
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(sourceAddress), 0));
            socket.connect(new InetSocketAddress(api.getHost(), api.getPort()), 5000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            String head =
                    "POST " + api.getRawPath() + " HTTP/1.1\r\nHost: " + api.getHost() + ":" + api.getPort() + "\r\n"
                            + "Content-Type: " + contentType + "\r\nConnection: close\r\n"
                            + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                            + "Content-Length: " + payload.length + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            return parseRawResponse(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ApiResponse parseRawResponse(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String raw = all.toString(StandardCharsets.UTF_8);
        int split = raw.indexOf("\r\n\r\n");
        String[] lines = raw.substring(0, split).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(
                    lines[i].substring(0, colon).trim().toLowerCase(),
                    List.of(lines[i].substring(colon + 1).trim()));
        }
        return response(status, headers, raw.substring(split + 4));
    }

    private static ApiResponse response(int status, Map<String, List<String>> headers, String body) throws IOException {
        Map<String, Object> json = body == null || body.isBlank() ? Map.of() : JSON.std.mapFrom(body);
        Object code = json.get("activationCode");
        if (code != null) {
            Secrets.remember(String.valueOf(code));
        }
        return new ApiResponse(status, headers, json);
    }

    static String json(Object value) {
        try {
            return JSON.std.asString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
