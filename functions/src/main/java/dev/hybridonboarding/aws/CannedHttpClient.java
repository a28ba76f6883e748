package dev.hybridonboarding.aws;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * An HTTP client that never opens a connection: it reads each request the SDK marshalled and signed, and answers it
 * with the JSON it was given for that call ({@code X-Amz-Target}), in order. Priming runs the real SDK clients
 * through it, so their whole request path is loaded before a SnapStart snapshot without a network call.
 */
public final class CannedHttpClient implements SdkHttpClient {

    private final Map<String, Deque<String>> answers = new HashMap<>();
    private final List<String> asked = new ArrayList<>();

    /** The next call of {@code target} (e.g. {@code DynamoDB_20120810.BatchGetItem}) gets {@code json}. */
    public synchronized CannedHttpClient answer(String target, String json) {
        answers.computeIfAbsent(target, t -> new ArrayDeque<>()).add(json);
        return this;
    }

    /** The calls answered, in order. */
    public synchronized List<String> asked() {
        return List.copyOf(asked);
    }

    /** Whether every answer given was asked for. */
    public synchronized boolean allAnswered() {
        return answers.values().stream().allMatch(Deque::isEmpty);
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        String target = request.httpRequest()
                .firstMatchingHeader("X-Amz-Target")
                .orElseThrow(() -> new IllegalStateException("a canned call without X-Amz-Target: "
                        + request.httpRequest().encodedPath()));
        request.contentStreamProvider().ifPresent(body -> {
            try (InputStream in = body.newStream()) {
                in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String json;
        synchronized (this) {
            Deque<String> queue = answers.get(target);
            json = queue == null ? null : queue.poll();
            asked.add(target);
        }
        if (json == null) {
            throw new IllegalStateException("no canned answer for " + target);
        }
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() {
                return HttpExecuteResponse.builder()
                        .response(SdkHttpResponse.builder()
                                .statusCode(200)
                                .putHeader("Content-Type", "application/x-amz-json-1.1")
                                .putHeader("Content-Length", Integer.toString(body.length))
                                .putHeader("x-amzn-RequestId", "canned")
                                .build())
                        .responseBody(AbortableInputStream.create(new ByteArrayInputStream(body)))
                        .build();
            }

            @Override
            public void abort() {}
        };
    }

    @Override
    public void close() {}
}
