package dev.hybridonboarding.fleet;

import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.InstanceTags;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * How a group of machines joins: the instance role their activations carry, the tags SSM copies onto them,
 * which request tags machines may add, and whether they get single-use or shared activations.
 *
 * @param version 0 for a fleet that exists only as the template's default; stored fleets count up from 1
 */
public record Fleet(
        String name,
        FleetMode mode,
        String instanceRole,
        Map<String, String> tags,
        Set<String> acceptedTagKeys,
        int registrationLimit,
        Duration activationLifetime,
        boolean enabled,
        String description,
        long version) {

    public static final Duration MIN_LIFETIME = Duration.ofMinutes(30);
    /** SSM refuses expiration dates more than 30 days ahead. */
    public static final Duration MAX_LIFETIME = Duration.ofDays(30);

    public static final Duration DEFAULT_SINGLE_USE_LIFETIME = Duration.ofHours(1);
    public static final Duration DEFAULT_SHARED_LIFETIME = Duration.ofDays(7);
    public static final int DEFAULT_SHARED_REGISTRATION_LIMIT = 100;

    // IAM role names, optionally behind a path; SSM wants the name, not the ARN.
    private static final Pattern ROLE_NAME = Pattern.compile("(?:[\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}");

    public Fleet {
        FleetName.require(name);
        if (mode == null) {
            throw new IllegalArgumentException("fleet mode is required");
        }
        requireRoleName(instanceRole);
        tags = InstanceTags.requireValid(tags == null ? Map.of() : tags, InstanceTags.MAX_FLEET_TAGS);
        acceptedTagKeys = requireTagKeys(acceptedTagKeys == null ? Set.of() : acceptedTagKeys);
        for (String key : acceptedTagKeys) {
            if (tags.containsKey(key)) {
                throw new IllegalArgumentException(
                        "tag key '" + key + "' is a fleet tag; machines cannot also set it in their request");
            }
        }
        if (mode == FleetMode.SINGLE_USE) {
            registrationLimit = 1;
        } else if (registrationLimit < 1 || registrationLimit > ActivationSpec.MAX_REGISTRATION_LIMIT) {
            throw new IllegalArgumentException("registration limit must be 1-" + ActivationSpec.MAX_REGISTRATION_LIMIT
                    + ", got " + registrationLimit);
        }
        if (activationLifetime == null
                || activationLifetime.compareTo(MIN_LIFETIME) < 0
                || activationLifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("activation lifetime must be between " + MIN_LIFETIME.toMinutes()
                    + " minutes and " + MAX_LIFETIME.toDays() + " days, got " + activationLifetime);
        }
        if (description != null && description.length() > ActivationSpec.MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException(
                    "description must be at most " + ActivationSpec.MAX_TEXT_LENGTH + " characters");
        }
    }

    /** A fleet with the defaults of its mode; the caller changes what it needs with the wither methods. */
    public static Fleet withDefaults(String name, FleetMode mode, String instanceRole) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                Map.of(),
                Set.of(),
                mode == FleetMode.SHARED ? DEFAULT_SHARED_REGISTRATION_LIMIT : 1,
                mode == FleetMode.SHARED ? DEFAULT_SHARED_LIFETIME : DEFAULT_SINGLE_USE_LIFETIME,
                true,
                null,
                0);
    }

    /** The first request tag key this fleet does not let machines set, if any. */
    public Optional<String> unacceptedTagKey(Map<String, String> requestTags) {
        return requestTags.keySet().stream()
                .filter(key -> !acceptedTagKeys.contains(key))
                .findFirst();
    }

    /** When an activation created now expires: whole seconds, since the table keeps epoch seconds and every reader must see the same instant. */
    public Instant activationExpiry(Instant now) {
        return now.plus(activationLifetime).truncatedTo(ChronoUnit.SECONDS);
    }

    public Fleet withMode(FleetMode newMode) {
        return new Fleet(
                name,
                newMode,
                instanceRole,
                tags,
                acceptedTagKeys,
                newMode == FleetMode.SHARED && registrationLimit == 1
                        ? DEFAULT_SHARED_REGISTRATION_LIMIT
                        : registrationLimit,
                activationLifetime,
                enabled,
                description,
                version);
    }

    public Fleet withInstanceRole(String role) {
        return new Fleet(
                name,
                mode,
                role,
                tags,
                acceptedTagKeys,
                registrationLimit,
                activationLifetime,
                enabled,
                description,
                version);
    }

    public Fleet withTags(Map<String, String> newTags) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                newTags,
                acceptedTagKeys,
                registrationLimit,
                activationLifetime,
                enabled,
                description,
                version);
    }

    public Fleet withAcceptedTagKeys(Set<String> keys) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                tags,
                keys,
                registrationLimit,
                activationLifetime,
                enabled,
                description,
                version);
    }

    public Fleet withRegistrationLimit(int limit) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                tags,
                acceptedTagKeys,
                limit,
                activationLifetime,
                enabled,
                description,
                version);
    }

    public Fleet withActivationLifetime(Duration lifetime) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                tags,
                acceptedTagKeys,
                registrationLimit,
                lifetime,
                enabled,
                description,
                version);
    }

    public Fleet withEnabled(boolean isEnabled) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                tags,
                acceptedTagKeys,
                registrationLimit,
                activationLifetime,
                isEnabled,
                description,
                version);
    }

    public Fleet withDescription(String text) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                tags,
                acceptedTagKeys,
                registrationLimit,
                activationLifetime,
                enabled,
                text,
                version);
    }

    public Fleet withVersion(long newVersion) {
        return new Fleet(
                name,
                mode,
                instanceRole,
                tags,
                acceptedTagKeys,
                registrationLimit,
                activationLifetime,
                enabled,
                description,
                newVersion);
    }

    private static void requireRoleName(String role) {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("instance role name is required");
        }
        if (role.startsWith("arn:")) {
            int name = role.indexOf(":role/");
            String hint = name >= 0 ? " ('" + role.substring(name + ":role/".length()) + "')" : "";
            throw new IllegalArgumentException(
                    "give the instance role's name" + hint + ", not its ARN: SSM's IamRole takes a role name");
        }
        if (!ROLE_NAME.matcher(role).matches()) {
            throw new IllegalArgumentException("'" + role + "' is not a valid IAM role name");
        }
    }

    private static Set<String> requireTagKeys(Set<String> keys) {
        if (keys.size() > InstanceTags.MAX_REQUEST_TAGS) {
            throw new IllegalArgumentException(
                    "a fleet accepts at most " + InstanceTags.MAX_REQUEST_TAGS + " request tag keys");
        }
        for (String key : keys) {
            InstanceTags.problem(key, "").ifPresent(problem -> {
                throw new IllegalArgumentException(problem);
            });
        }
        return Collections.unmodifiableSortedSet(new TreeSet<>(keys));
    }
}
