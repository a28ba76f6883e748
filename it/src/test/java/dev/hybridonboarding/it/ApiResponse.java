package dev.hybridonboarding.it;

import java.util.List;
import java.util.Map;

/**
 * A response of the API. Its string form, which assertion failures print into test reports, never shows
 * the activation code.
 */
record ApiResponse(int status, Map<String, List<String>> headers, Map<String, Object> json) {

    String header(String name) {
        return headers.entrySet().stream()
                .filter(header -> header.getKey().equalsIgnoreCase(name))
                .map(header -> header.getValue().get(0))
                .findFirst()
                .orElse(null);
    }

    String field(String name) {
        Object value = json.get(name);
        return value == null ? null : String.valueOf(value);
    }

    @SuppressWarnings("unchecked")
    String errorCode() {
        Object error = json.get("error");
        return error instanceof Map ? (String) ((Map<String, Object>) error).get("code") : null;
    }

    @SuppressWarnings("unchecked")
    String errorMessage() {
        Object error = json.get("error");
        return error instanceof Map ? (String) ((Map<String, Object>) error).get("message") : null;
    }

    @Override
    public String toString() {
        Map<String, Object> shown = new java.util.LinkedHashMap<>(json);
        shown.computeIfPresent("activationCode", (key, code) -> "[redacted]");
        return "HTTP " + status + " " + shown;
    }
}
