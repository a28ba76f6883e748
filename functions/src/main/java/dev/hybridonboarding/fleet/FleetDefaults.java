package dev.hybridonboarding.fleet;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The default fleet, declared by the template's parameters so that enrollment works right after a deploy.
 * The functions read it from their environment and the admin CLI from the stack's outputs; both carry the
 * same settings under the names below. A stored fleet of the same name takes precedence.
 */
public final class FleetDefaults {

    public static final String NAME = "DEFAULT_FLEET_NAME";
    public static final String MODE = "DEFAULT_FLEET_MODE";
    public static final String INSTANCE_ROLE = "INSTANCE_ROLE_NAME";
    public static final String TAGS = "DEFAULT_FLEET_TAGS";
    public static final String ACCEPTED_TAG_KEYS = "DEFAULT_FLEET_ACCEPTED_TAG_KEYS";
    public static final String REGISTRATION_LIMIT = "DEFAULT_FLEET_REGISTRATION_LIMIT";
    public static final String ACTIVATION_LIFETIME = "DEFAULT_FLEET_ACTIVATION_LIFETIME";

    private FleetDefaults() {}

    public static Fleet fromSettings(Map<String, String> settings) {
        String name = required(settings, NAME);
        FleetMode mode = FleetMode.parse(required(settings, MODE));
        Fleet fleet = Fleet.withDefaults(name, mode, required(settings, INSTANCE_ROLE))
                .withTags(parseTags(settings.getOrDefault(TAGS, "")))
                .withAcceptedTagKeys(parseList(settings.getOrDefault(ACCEPTED_TAG_KEYS, "")))
                .withDescription("default fleet from the template");
        String limit = settings.getOrDefault(REGISTRATION_LIMIT, "").trim();
        if (!limit.isEmpty() && mode == FleetMode.SHARED) {
            fleet = fleet.withRegistrationLimit(parseInt(REGISTRATION_LIMIT, limit));
        }
        String lifetime = settings.getOrDefault(ACTIVATION_LIFETIME, "").trim();
        if (!lifetime.isEmpty()) {
            fleet = fleet.withActivationLifetime(parseDuration(ACTIVATION_LIFETIME, lifetime));
        }
        return fleet;
    }

    /** Parses {@code key=value,key=value}; tag keys and values cannot contain commas, so the format is unambiguous. */
    public static Map<String, String> parseTags(String text) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String pair : parseList(text)) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("tags are written key=value, got '" + pair + "'");
            }
            tags.put(
                    pair.substring(0, equals).trim(), pair.substring(equals + 1).trim());
        }
        return tags;
    }

    public static Set<String> parseList(String text) {
        Set<String> items = new LinkedHashSet<>();
        Arrays.stream(text.split(","))
                .map(String::trim)
                .filter(item -> !item.isEmpty())
                .forEach(items::add);
        return items;
    }

    public static Duration parseDuration(String setting, String text) {
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    setting + " must be an ISO-8601 duration such as PT1H or P7D, got '" + text + "'");
        }
    }

    private static int parseInt(String setting, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(setting + " must be a whole number, got '" + text + "'");
        }
    }

    private static String required(Map<String, String> settings, String key) {
        String value = settings.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("setting " + key + " is missing");
        }
        return value.trim();
    }
}
