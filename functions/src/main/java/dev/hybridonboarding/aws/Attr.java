package dev.hybridonboarding.aws;

import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Every attribute of the table, named once. Item builders, readers and expressions all go through these, so the
 * table's contract cannot drift between the code that writes an item and the conditions that guard it.
 */
public enum Attr {
    PK("pk"),
    SK("sk"),
    GSI1_PK("gsi1pk"),
    GSI1_SK("gsi1sk"),
    TTL("ttl"),

    // Fleets
    NAME("name"),
    MODE("mode"),
    INSTANCE_ROLE("instanceRole"),
    TAGS("tags"),
    ACCEPTED_TAG_KEYS("acceptedTagKeys"),
    REGISTRATION_LIMIT("registrationLimit"),
    ACTIVATION_LIFETIME("activationLifetime"),
    ENABLED("enabled"),
    DESCRIPTION("description"),
    VERSION("version"),
    UPDATED_AT("updatedAt"),

    // Tokens and failure counters
    TOKEN_ID("tokenId"),
    FLEET("fleet"),
    SECRET_HASH("secretHash"),
    MAX_USES("maxUses"),
    USES("uses"),
    SOURCE_CIDRS("sourceCidrs"),
    REVOKED("revoked"),
    REVOKED_AT("revokedAt"),
    LAST_USED_AT("lastUsedAt"),
    COUNT("count"),

    // Retry records, enrollments, activations and the installation lease
    MACHINE_ID("machineId"),
    ENROLLMENT_ID("enrollmentId"),
    ACTIVATION_ID("activationId"),
    SEALED_CODE("sealedCode"),
    SEALING("sealing"),
    INSTANCE_NAME("instanceName"),
    REQUEST_DIGEST("requestDigest"),
    HANDED_OUT("handedOut"),
    OWNER("owner"),
    LEASE_UNTIL("leaseUntil"),
    SOURCE_IP("sourceIp"),
    USER_AGENT("userAgent"),
    HOSTNAME("hostname"),
    PLATFORM("platform"),
    REQUESTED_TAGS("requestedTags"),
    ACCEPTED_TAGS("acceptedTags"),
    ACTIVATION_EXPIRES_AT("activationExpiresAt"),
    EXPIRES_AT("expiresAt"),
    CREATED_AT("createdAt"),
    DELETED_AT("deletedAt"),

    // The last scheduled run
    STARTED_AT("startedAt"),
    TOOK_MS("tookMs"),
    FLEETS_CHECKED("fleetsChecked"),
    ROTATED("rotated"),
    FAILED("failed"),
    DELETED_SPENT("deletedSpent"),
    DELETED_REPLACED("deletedReplaced"),
    DELETED_ORPHANS("deletedOrphans"),
    FOREIGN("foreign"),
    DEFERRED("deferred"),
    SSM_CALLS("ssmCalls"),

    // Managed instances, the enrollments they registered for, and digests of announcements
    INSTANCE_ID("instanceId"),
    REGISTERED_AT("registeredAt"),
    DEREGISTERED_AT("deregisteredAt"),
    REGISTRATION_HANDLED_AT("registrationHandledAt"),
    DEREGISTRATION_HANDLED_AT("deregistrationHandledAt"),
    VERDICT("verdict"),
    KIND("kind"),
    WINDOW_START("windowStart"),
    WINDOW_END("windowEnd"),
    SENT_AT("sentAt");

    private final String attribute;

    Attr(String attribute) {
        this.attribute = attribute;
    }

    /** The attribute's name in the table. */
    public String attribute() {
        return attribute;
    }

    /** Its placeholder in an expression; every attribute goes by one, so reserved words need no special care. */
    String ref() {
        return "#" + attribute;
    }

    AttributeValue in(Map<String, AttributeValue> item) {
        return item.get(attribute);
    }

    void put(Map<String, AttributeValue> item, AttributeValue value) {
        item.put(attribute, value);
    }
}
