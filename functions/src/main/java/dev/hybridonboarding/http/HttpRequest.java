package dev.hybridonboarding.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The parts of a REST API request (Lambda proxy integration, payload format 1.0) that the handlers read. */
public final class HttpRequest {

    private final Map<String, String> headers;
    private final String body;
    private final boolean base64;
    private final String sourceIp;
    private final String userAgent;

    private HttpRequest(Map<String, String> headers, String body, boolean base64, String sourceIp, String userAgent) {
        this.headers = headers;
        this.body = body;
        this.base64 = base64;
        this.sourceIp = sourceIp;
        this.userAgent = userAgent;
    }

    /** Header names are matched without regard to case: a REST API passes them as the client sent them. */
    public static HttpRequest of(APIGatewayProxyRequestEvent event) {
        Map<String, String> headers = new HashMap<>();
        if (event.getHeaders() != null) {
            event.getHeaders().forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), value));
        }
        APIGatewayProxyRequestEvent.RequestIdentity identity = event.getRequestContext() == null
                ? null
                : event.getRequestContext().getIdentity();
        String sourceIp = identity == null ? null : identity.getSourceIp();
        String userAgent = identity != null && identity.getUserAgent() != null
                ? identity.getUserAgent()
                : headers.get("user-agent");
        return new HttpRequest(
                headers, event.getBody(), Boolean.TRUE.equals(event.getIsBase64Encoded()), sourceIp, userAgent);
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The credentials of an {@code Authorization: Bearer ...} header, if there is one. */
    public Optional<String> bearerToken() {
        return header("authorization")
                .map(String::trim)
                .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(value -> value.substring(7).trim());
    }

    public String sourceIp() {
        return sourceIp;
    }

    public String userAgent() {
        return userAgent;
    }

    /** Whether the declared media type is JSON in UTF-8 (the charset parameter may be absent). */
    public boolean hasJsonBody() {
        String contentType = header("content-type").orElse("");
        String[] parts = contentType.split(";");
        if (!"application/json".equalsIgnoreCase(parts[0].trim())) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String[] parameter = parts[i].trim().split("=", 2);
            if (parameter[0].trim().equalsIgnoreCase("charset")
                    && !(parameter.length == 2
                            && parameter[1].trim().replace("\"", "").equalsIgnoreCase("utf-8"))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The body's bytes, or empty when it exceeds {@code maxBytes}. Base64-encoded bodies are measured before
     * decoding too, so an oversized one is refused without being decoded.
     */
    public Optional<byte[]> body(int maxBytes) {
        if (body == null) {
            return Optional.of(new byte[0]);
        }
        if (base64) {
            if (body.length() > (maxBytes + 2) / 3 * 4) {
                return Optional.empty();
            }
            byte[] decoded;
            try {
                decoded = Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException notBase64) {
                decoded = new byte[0];
            }
            return decoded.length > maxBytes ? Optional.empty() : Optional.of(decoded);
        }
        if (body.length() > maxBytes) {
            return Optional.empty();
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return bytes.length > maxBytes ? Optional.empty() : Optional.of(bytes);
    }
}
