package dev.hybridonboarding.activation;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * AWS's rules for the tags an activation copies onto every instance that registers with it, plus the
 * tags this product reserves for itself.
 */
public final class InstanceTags {

    public static final String RESERVED_PREFIX = "hybrid-onboarding:";
    public static final String ENROLLMENT_ID = RESERVED_PREFIX + "enrollment-id";
    public static final String FLEET = RESERVED_PREFIX + "fleet";
    /** Marks an activation, and the instances it registers, as this deployment's: the clean-up touches only these. */
    public static final String STACK = RESERVED_PREFIX + "stack";
    /** Set by the registration step, with {@code Name}: when SSM registered the instance. */
    public static final String REGISTERED_AT = RESERVED_PREFIX + "registered-at";
    /** Set by the registration step on an instance that is not what an enrollment asked for: mismatch, unmanaged. */
    public static final String STATUS = RESERVED_PREFIX + "status";

    public static final String NAME = "Name";

    public static final int MAX_KEY_LENGTH = 128;
    public static final int MAX_VALUE_LENGTH = 256;
    /**
     * SSM allows 50 tags per resource: fleet tags, request tags and the reserved ones the activation carries must fit,
     * and leave room for those the registration adds to the instance (its name, enrollment and registration time).
     */
    public static final int MAX_REQUEST_TAGS = 32;

    public static final int MAX_FLEET_TAGS = 8;

    private static final Pattern ALLOWED = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");

    private InstanceTags() {}

    /** Why a tag breaks AWS's rules or trespasses on the reserved prefix, or empty when it is fine. */
    public static Optional<String> problem(String key, String value) {
        if (key == null || key.isEmpty()) {
            return Optional.of("tag keys must not be empty");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            return Optional.of("tag key '" + abbreviate(key) + "' is longer than " + MAX_KEY_LENGTH + " characters");
        }
        if (value == null) {
            return Optional.of("tag '" + key + "' must have a string value");
        }
        if (value.length() > MAX_VALUE_LENGTH) {
            return Optional.of("value of tag '" + key + "' is longer than " + MAX_VALUE_LENGTH + " characters");
        }
        String lower = key.toLowerCase(Locale.ROOT);
        if (lower.startsWith("aws:")) {
            return Optional.of("tag key '" + key + "' uses the reserved prefix 'aws:'");
        }
        if (lower.startsWith(RESERVED_PREFIX)) {
            return Optional.of(
                    "tag key '" + key + "' uses the prefix '" + RESERVED_PREFIX + "', which this service sets itself");
        }
        if (!ALLOWED.matcher(key).matches()) {
            return Optional.of("tag key '" + key + "' may only contain letters, digits, spaces and _ . : / = + - @");
        }
        if (!ALLOWED.matcher(value).matches()) {
            return Optional.of(
                    "value of tag '" + key + "' may only contain letters, digits, spaces and _ . : / = + - @");
        }
        return Optional.empty();
    }

    /** Validates a set of tags, failing with the first problem found; the result is sorted by key. */
    public static Map<String, String> requireValid(Map<String, String> tags, int maxCount) {
        if (tags.size() > maxCount) {
            throw new IllegalArgumentException("at most " + maxCount + " tags are allowed, got " + tags.size());
        }
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            problem(tag.getKey(), tag.getValue()).ifPresent(p -> {
                throw new IllegalArgumentException(p);
            });
        }
        return Collections.unmodifiableSortedMap(new TreeMap<>(tags));
    }

    /** The value with every character AWS does not allow in tags replaced by {@code _}, cut to the allowed length. */
    public static String safeValue(String value) {
        String safe = value.replaceAll("[^\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]", "_");
        return safe.length() <= MAX_VALUE_LENGTH ? safe : safe.substring(0, MAX_VALUE_LENGTH);
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
