package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.InstanceTags;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a machine sends: {@code {hostname, platform, machineId?, tags?}}.
 *
 * @param machineId a stable id of the machine (for example {@code /etc/machine-id}); with it a retry gets
 *                  the same activation back instead of spending another use of the token
 */
public record EnrollmentRequest(
        String hostname, Platform platform, Optional<String> machineId, Map<String, String> tags) {

    public static final int MAX_HOSTNAME_LENGTH = 253;
    private static final Set<String> FIELDS = Set.of("hostname", "platform", "machineId", "tags");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?");
    private static final Pattern MACHINE_ID = Pattern.compile("[A-Za-z0-9._:{}-]{1,128}");

    public EnrollmentRequest {
        tags = Map.copyOf(tags);
    }

    /**
     * What identifies this request among the ones a machine may send: its hostname, platform and tags. A retry must
     * send them again unchanged to get the same activation back.
     */
    public String digest() {
        StringBuilder canonical = new StringBuilder(hostname)
                .append('\n')
                .append(platform.label())
                .append('\n');
        new TreeMap<>(tags)
                .forEach((key, value) ->
                        canonical.append(key).append('=').append(value).append('\n'));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }

    /** Validates a decoded JSON body; every problem is a 400 with a message that names the field. */
    public static EnrollmentRequest fromJson(Map<String, Object> body) {
        for (String field : body.keySet()) {
            if (!FIELDS.contains(field)) {
                throw invalid(
                        EnrollmentFailure.INVALID_REQUEST,
                        "unknown field '" + field + "'; the request takes hostname, platform, machineId and tags");
            }
        }
        return new EnrollmentRequest(
                hostname(body.get("hostname")),
                Platform.parse(text(body.get("platform"), EnrollmentFailure.INVALID_PLATFORM, "platform")),
                machineId(body.get("machineId")),
                tags(body.get("tags")));
    }

    private static String hostname(Object value) {
        String hostname = text(value, EnrollmentFailure.INVALID_HOSTNAME, "hostname");
        if (hostname.length() > MAX_HOSTNAME_LENGTH) {
            throw invalid(
                    EnrollmentFailure.INVALID_HOSTNAME,
                    "hostname is longer than " + MAX_HOSTNAME_LENGTH + " characters");
        }
        if (!HOSTNAME.matcher(hostname).matches()) {
            throw invalid(
                    EnrollmentFailure.INVALID_HOSTNAME,
                    "hostname may only contain letters, digits, '.', '-' and '_', and must start and end with a letter or digit");
        }
        return hostname;
    }

    private static Optional<String> machineId(Object value) {
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String id) || !MACHINE_ID.matcher(id).matches()) {
            throw invalid(
                    EnrollmentFailure.INVALID_MACHINE_ID, "machineId must be 1-128 letters, digits or . _ : { } -");
        }
        return Optional.of(id);
    }

    private static Map<String, String> tags(Object value) {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw invalid(EnrollmentFailure.INVALID_TAGS, "tags must be an object of string keys to string values");
        }
        if (raw.size() > InstanceTags.MAX_REQUEST_TAGS) {
            throw invalid(
                    EnrollmentFailure.INVALID_TAGS,
                    "at most " + InstanceTags.MAX_REQUEST_TAGS + " tags are allowed, got " + raw.size());
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (Map.Entry<?, ?> tag : raw.entrySet()) {
            String key = String.valueOf(tag.getKey());
            if (!(tag.getValue() instanceof String tagValue)) {
                throw invalid(EnrollmentFailure.INVALID_TAGS, "tag '" + key + "' must have a string value");
            }
            InstanceTags.problem(key, tagValue).ifPresent(problem -> {
                throw invalid(EnrollmentFailure.INVALID_TAGS, problem);
            });
            tags.put(key, tagValue);
        }
        return tags;
    }

    private static String text(Object value, EnrollmentFailure failure, String field) {
        if (value == null) {
            throw invalid(failure, field + " is required");
        }
        if (!(value instanceof String text) || text.isEmpty()) {
            throw invalid(failure, field + " must be a non-empty string");
        }
        return text;
    }

    private static EnrollmentRejectedException invalid(EnrollmentFailure failure, String message) {
        return new EnrollmentRejectedException(failure, message);
    }
}
