package dev.hybridonboarding.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** JSON responses, including the {@code {"error":{"code","message"}}} shape every error uses. */
public final class JsonResponses {

    private JsonResponses() {}

    /** A response that carries a secret: no intermediary may keep a copy. */
    public static APIGatewayProxyResponseEvent secret(int status, Map<String, Object> body) {
        return json(status, body, Map.of("Cache-Control", "no-store"));
    }

    public static APIGatewayProxyResponseEvent error(
            int status, String code, String message, Optional<Duration> retryAfter) {
        Map<String, String> headers = new HashMap<>();
        retryAfter.ifPresent(delay -> headers.put("Retry-After", Long.toString(Math.max(1, delay.toSeconds()))));
        if (status == 401) {
            headers.put("WWW-Authenticate", "Bearer realm=\"hybrid-onboarding\"");
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        return json(status, Map.of("error", error), headers);
    }

    private static APIGatewayProxyResponseEvent json(
            int status, Map<String, Object> body, Map<String, String> extraHeaders) {
        Map<String, String> headers = new HashMap<>(extraHeaders);
        headers.put("Content-Type", "application/json");
        try {
            return new APIGatewayProxyResponseEvent()
                    .withStatusCode(status)
                    .withHeaders(headers)
                    .withBody(JSON.std.asString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
