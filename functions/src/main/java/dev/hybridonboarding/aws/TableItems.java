package dev.hybridonboarding.aws;

import static dev.hybridonboarding.aws.Attr.ACCEPTED_TAGS;
import static dev.hybridonboarding.aws.Attr.ACCEPTED_TAG_KEYS;
import static dev.hybridonboarding.aws.Attr.ACTIVATION_EXPIRES_AT;
import static dev.hybridonboarding.aws.Attr.ACTIVATION_ID;
import static dev.hybridonboarding.aws.Attr.ACTIVATION_LIFETIME;
import static dev.hybridonboarding.aws.Attr.CREATED_AT;
import static dev.hybridonboarding.aws.Attr.DEFERRED;
import static dev.hybridonboarding.aws.Attr.DELETED_ORPHANS;
import static dev.hybridonboarding.aws.Attr.DELETED_REPLACED;
import static dev.hybridonboarding.aws.Attr.DELETED_SPENT;
import static dev.hybridonboarding.aws.Attr.DESCRIPTION;
import static dev.hybridonboarding.aws.Attr.ENABLED;
import static dev.hybridonboarding.aws.Attr.ENROLLMENT_ID;
import static dev.hybridonboarding.aws.Attr.EXPIRES_AT;
import static dev.hybridonboarding.aws.Attr.FAILED;
import static dev.hybridonboarding.aws.Attr.FLEET;
import static dev.hybridonboarding.aws.Attr.FLEETS_CHECKED;
import static dev.hybridonboarding.aws.Attr.FOREIGN;
import static dev.hybridonboarding.aws.Attr.GSI1_PK;
import static dev.hybridonboarding.aws.Attr.GSI1_SK;
import static dev.hybridonboarding.aws.Attr.HANDED_OUT;
import static dev.hybridonboarding.aws.Attr.HOSTNAME;
import static dev.hybridonboarding.aws.Attr.INSTANCE_NAME;
import static dev.hybridonboarding.aws.Attr.INSTANCE_ROLE;
import static dev.hybridonboarding.aws.Attr.MACHINE_ID;
import static dev.hybridonboarding.aws.Attr.MAX_USES;
import static dev.hybridonboarding.aws.Attr.MODE;
import static dev.hybridonboarding.aws.Attr.NAME;
import static dev.hybridonboarding.aws.Attr.PK;
import static dev.hybridonboarding.aws.Attr.PLATFORM;
import static dev.hybridonboarding.aws.Attr.REGISTRATION_LIMIT;
import static dev.hybridonboarding.aws.Attr.REQUESTED_TAGS;
import static dev.hybridonboarding.aws.Attr.REQUEST_DIGEST;
import static dev.hybridonboarding.aws.Attr.REVOKED;
import static dev.hybridonboarding.aws.Attr.ROTATED;
import static dev.hybridonboarding.aws.Attr.SEALED_CODE;
import static dev.hybridonboarding.aws.Attr.SEALING;
import static dev.hybridonboarding.aws.Attr.SECRET_HASH;
import static dev.hybridonboarding.aws.Attr.SK;
import static dev.hybridonboarding.aws.Attr.SOURCE_CIDRS;
import static dev.hybridonboarding.aws.Attr.SOURCE_IP;
import static dev.hybridonboarding.aws.Attr.SSM_CALLS;
import static dev.hybridonboarding.aws.Attr.STARTED_AT;
import static dev.hybridonboarding.aws.Attr.TAGS;
import static dev.hybridonboarding.aws.Attr.TOKEN_ID;
import static dev.hybridonboarding.aws.Attr.TOOK_MS;
import static dev.hybridonboarding.aws.Attr.TTL;
import static dev.hybridonboarding.aws.Attr.UPDATED_AT;
import static dev.hybridonboarding.aws.Attr.USER_AGENT;
import static dev.hybridonboarding.aws.Attr.USES;
import static dev.hybridonboarding.aws.Attr.VERSION;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.RotationRun;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.EnrollmentToken;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The single table's layout. Every entity lives under a {@code pk}/{@code sk} pair; {@code gsi1pk}/{@code gsi1sk}
 * group entities for listing (fleets; a fleet's tokens, enrollments and activations); {@code ttl}
 * lets DynamoDB drop what has no use left. Attribute names come from {@link Attr}.
 *
 * <pre>
 * FLEET#name          FLEET                 a fleet
 * FLEET#name          SHARED_ACTIVATION     the fleet's current shared activation (code sealed by KMS)
 * FLEET#name          SHARED_ACTIVATION_LEASE  who may create the next one, until when
 * TOKEN#id            TOKEN                 an enrollment token (hash of the secret only)
 * TOKEN#id            MACHINE#machineId     what the token gave that machine, for retries
 * ENROLLMENT#id       ENROLLMENT            the audit record of an enrollment
 * ACTIVATION#id       ACTIVATION            an activation this service created (gsi1: by fleet and expiry)
 * FAILURES#source#ip  W#windowStart         failed attempts from an address in one window
 * FAILURES#token#id   W#windowStart         failed attempts on a token id in one window
 * ROTATION            LAST_RUN              what the last scheduled run did
 * INSTANCE#mi-…       INSTANCE              what the registration step did with a managed instance
 * DIGEST#kind#window  WINDOW                announcements counted in a window (gsi1: unsent digests by window end)
 * DIGEST#kind#window  INSTANCE#mi-…         a machine the window's digest names
 * </pre>
 * The registration step's items are in {@link RegistrationItems}; it also records on an enrollment the instance that
 * registered with it ({@code instanceId}, {@code registeredAt}, {@code deregisteredAt}).
 */
public final class TableItems {

    public static final String GSI1 = "gsi1";
    public static final String FLEETS = "FLEETS";
    /** Token and retry records outlive their expiry a while, so that audits can still resolve them. */
    static final Duration RETENTION_AFTER_EXPIRY = Duration.ofDays(90);

    private TableItems() {}

    // Keys

    public static Map<String, AttributeValue> fleetKey(String fleet) {
        return key("FLEET#" + fleet, "FLEET");
    }

    public static Map<String, AttributeValue> sharedActivationKey(String fleet) {
        return key("FLEET#" + fleet, "SHARED_ACTIVATION");
    }

    static Map<String, AttributeValue> installLeaseKey(String fleet) {
        return key("FLEET#" + fleet, "SHARED_ACTIVATION_LEASE");
    }

    public static Map<String, AttributeValue> tokenKey(String tokenId) {
        return key("TOKEN#" + tokenId, "TOKEN");
    }

    static Map<String, AttributeValue> retryKey(String tokenId, String machineId) {
        return key("TOKEN#" + tokenId, "MACHINE#" + machineId);
    }

    public static Map<String, AttributeValue> enrollmentKey(String enrollmentId) {
        return key("ENROLLMENT#" + enrollmentId, "ENROLLMENT");
    }

    static Map<String, AttributeValue> activationKey(String activationId) {
        return key("ACTIVATION#" + activationId, "ACTIVATION");
    }

    static Map<String, AttributeValue> sourceFailuresKey(String failureSource, Instant window) {
        return key("FAILURES#source#" + failureSource, "W#" + window.getEpochSecond());
    }

    static Map<String, AttributeValue> tokenFailuresKey(String tokenId, Instant window) {
        return key("FAILURES#token#" + tokenId, "W#" + window.getEpochSecond());
    }

    static Map<String, AttributeValue> lastRunKey() {
        return key("ROTATION", "LAST_RUN");
    }

    /** The key of any item, for deleting what a scan found. */
    public static Map<String, AttributeValue> keyOf(Map<String, AttributeValue> item) {
        return Map.of(PK.attribute(), PK.in(item), SK.attribute(), SK.in(item));
    }

    public static String tokensOfFleet(String fleet) {
        return "TOKENS#" + fleet;
    }

    public static String activationsOfFleet(String fleet) {
        return "ACTIVATIONS#" + fleet;
    }

    public static String enrollmentsOfFleet(String fleet) {
        return "ENROLLMENTS#" + fleet;
    }

    static Map<String, AttributeValue> key(String pk, String sk) {
        Map<String, AttributeValue> key = new HashMap<>();
        PK.put(key, s(pk));
        SK.put(key, s(sk));
        return key;
    }

    // Fleets

    public static Map<String, AttributeValue> fleetItem(Fleet fleet, Instant now) {
        Map<String, AttributeValue> item = fleetKey(fleet.name());
        GSI1_PK.put(item, s(FLEETS));
        GSI1_SK.put(item, s(fleet.name()));
        NAME.put(item, s(fleet.name()));
        MODE.put(item, s(fleet.mode().label()));
        INSTANCE_ROLE.put(item, s(fleet.instanceRole()));
        TAGS.put(item, stringMap(fleet.tags()));
        ACCEPTED_TAG_KEYS.put(item, stringList(List.copyOf(fleet.acceptedTagKeys())));
        REGISTRATION_LIMIT.put(item, n(fleet.registrationLimit()));
        ACTIVATION_LIFETIME.put(item, s(fleet.activationLifetime().toString()));
        ENABLED.put(item, AttributeValue.fromBool(fleet.enabled()));
        putIfPresent(item, DESCRIPTION, fleet.description());
        VERSION.put(item, n(fleet.version()));
        UPDATED_AT.put(item, s(now.toString()));
        return item;
    }

    public static Fleet fleet(Map<String, AttributeValue> item) {
        return new Fleet(
                NAME.in(item).s(),
                FleetMode.parse(MODE.in(item).s()),
                INSTANCE_ROLE.in(item).s(),
                readStringMap(TAGS.in(item)),
                new LinkedHashSet<>(readStringList(ACCEPTED_TAG_KEYS.in(item))),
                readInt(REGISTRATION_LIMIT.in(item)),
                Duration.parse(ACTIVATION_LIFETIME.in(item).s()),
                ENABLED.in(item).bool(),
                optionalString(item, DESCRIPTION).orElse(null),
                Long.parseLong(VERSION.in(item).n()));
    }

    // Tokens

    public static Map<String, AttributeValue> tokenItem(EnrollmentToken token) {
        Map<String, AttributeValue> item = tokenKey(token.tokenId());
        GSI1_PK.put(item, s(tokensOfFleet(token.fleet())));
        GSI1_SK.put(item, s(sortable(token.createdAt()) + "#" + token.tokenId()));
        TOKEN_ID.put(item, s(token.tokenId()));
        FLEET.put(item, s(token.fleet()));
        SECRET_HASH.put(item, AttributeValue.fromB(SdkBytes.fromByteArray(token.secretHash())));
        MAX_USES.put(item, n(token.maxUses()));
        USES.put(item, n(token.uses()));
        EXPIRES_AT.put(item, epoch(token.expiresAt()));
        SOURCE_CIDRS.put(item, stringList(token.sourceCidrs()));
        putIfPresent(item, DESCRIPTION, token.description());
        REVOKED.put(item, AttributeValue.fromBool(token.revoked()));
        CREATED_AT.put(item, s(token.createdAt().toString()));
        TTL.put(item, epoch(token.expiresAt().plus(RETENTION_AFTER_EXPIRY)));
        return item;
    }

    public static EnrollmentToken token(Map<String, AttributeValue> item) {
        return new EnrollmentToken(
                TOKEN_ID.in(item).s(),
                FLEET.in(item).s(),
                SECRET_HASH.in(item).b().asByteArray(),
                readInt(MAX_USES.in(item)),
                readInt(USES.in(item)),
                readEpoch(EXPIRES_AT.in(item)),
                readStringList(SOURCE_CIDRS.in(item)),
                optionalString(item, DESCRIPTION).orElse(null),
                REVOKED.in(item).bool(),
                Instant.parse(CREATED_AT.in(item).s()));
    }

    // Retry records

    static Map<String, AttributeValue> retryItem(String tokenId, RetryRecord retry) {
        Map<String, AttributeValue> item = retryKey(tokenId, retry.machineId());
        MACHINE_ID.put(item, s(retry.machineId()));
        ENROLLMENT_ID.put(item, s(retry.enrollmentId()));
        ACTIVATION_ID.put(item, s(retry.activationId()));
        SEALED_CODE.put(item, AttributeValue.fromB(SdkBytes.fromByteArray(retry.sealedCode())));
        SEALING.put(item, s(retry.sealing().name()));
        EXPIRES_AT.put(item, epoch(retry.expiresAt()));
        INSTANCE_NAME.put(item, s(retry.instanceName()));
        REQUEST_DIGEST.put(item, s(retry.requestDigest()));
        TTL.put(item, epoch(retry.expiresAt().plus(RETENTION_AFTER_EXPIRY)));
        return item;
    }

    static RetryRecord retry(Map<String, AttributeValue> item) {
        return new RetryRecord(
                MACHINE_ID.in(item).s(),
                ENROLLMENT_ID.in(item).s(),
                ACTIVATION_ID.in(item).s(),
                SEALED_CODE.in(item).b().asByteArray(),
                RetryRecord.CodeSealing.valueOf(SEALING.in(item).s()),
                readEpoch(EXPIRES_AT.in(item)),
                INSTANCE_NAME.in(item).s(),
                optionalString(item, REQUEST_DIGEST).orElse(""));
    }

    // Shared activations

    static Map<String, AttributeValue> sharedActivationItem(String fleet, SharedActivation shared) {
        Map<String, AttributeValue> item = sharedActivationKey(fleet);
        FLEET.put(item, s(fleet));
        ACTIVATION_ID.put(item, s(shared.activationId()));
        SEALED_CODE.put(item, AttributeValue.fromB(SdkBytes.fromByteArray(shared.sealedCode())));
        EXPIRES_AT.put(item, epoch(shared.expiresAt()));
        REGISTRATION_LIMIT.put(item, n(shared.registrationLimit()));
        HANDED_OUT.put(item, n(shared.handedOut()));
        CREATED_AT.put(item, s(shared.createdAt().toString()));
        return item;
    }

    public static SharedActivation sharedActivation(Map<String, AttributeValue> item) {
        return new SharedActivation(
                ACTIVATION_ID.in(item).s(),
                SEALED_CODE.in(item).b().asByteArray(),
                readEpoch(EXPIRES_AT.in(item)),
                readInt(REGISTRATION_LIMIT.in(item)),
                readInt(HANDED_OUT.in(item)),
                Instant.parse(CREATED_AT.in(item).s()));
    }

    // Enrollments

    static Map<String, AttributeValue> enrollmentItem(EnrollmentRecord record) {
        Map<String, AttributeValue> item = enrollmentKey(record.enrollmentId());
        GSI1_PK.put(item, s(enrollmentsOfFleet(record.fleet())));
        GSI1_SK.put(item, s(sortable(record.createdAt()) + "#" + record.enrollmentId()));
        ENROLLMENT_ID.put(item, s(record.enrollmentId()));
        TOKEN_ID.put(item, s(record.tokenId()));
        FLEET.put(item, s(record.fleet()));
        MODE.put(item, s(record.mode().label()));
        SOURCE_IP.put(item, s(record.requester().sourceIp()));
        putIfPresent(item, USER_AGENT, record.requester().userAgent());
        HOSTNAME.put(item, s(record.request().hostname()));
        PLATFORM.put(item, s(record.request().platform().label()));
        record.request().machineId().ifPresent(id -> MACHINE_ID.put(item, s(id)));
        REQUESTED_TAGS.put(item, stringMap(record.request().tags()));
        ACCEPTED_TAGS.put(item, stringMap(record.acceptedTags()));
        ACTIVATION_ID.put(item, s(record.activationId()));
        ACTIVATION_EXPIRES_AT.put(item, epoch(record.activationExpiresAt()));
        CREATED_AT.put(item, s(record.createdAt().toString()));
        return item;
    }

    public static EnrollmentRecord enrollment(Map<String, AttributeValue> item) {
        EnrollmentRequest request = new EnrollmentRequest(
                HOSTNAME.in(item).s(),
                Platform.valueOf(PLATFORM.in(item).s().toUpperCase(Locale.ROOT)),
                optionalString(item, MACHINE_ID),
                readStringMap(REQUESTED_TAGS.in(item)));
        return new EnrollmentRecord(
                ENROLLMENT_ID.in(item).s(),
                TOKEN_ID.in(item).s(),
                FLEET.in(item).s(),
                FleetMode.parse(MODE.in(item).s()),
                new Requester(
                        SOURCE_IP.in(item).s(), optionalString(item, USER_AGENT).orElse(null)),
                request,
                readStringMap(ACCEPTED_TAGS.in(item)),
                ACTIVATION_ID.in(item).s(),
                readEpoch(ACTIVATION_EXPIRES_AT.in(item)),
                Instant.parse(CREATED_AT.in(item).s()));
    }

    // Activations

    static Map<String, AttributeValue> activationItem(ActivationRecord record) {
        Map<String, AttributeValue> item = activationKey(record.activationId());
        GSI1_PK.put(item, s(activationsOfFleet(record.fleet())));
        GSI1_SK.put(item, s(sortable(record.expiresAt()) + "#" + record.activationId()));
        ACTIVATION_ID.put(item, s(record.activationId()));
        FLEET.put(item, s(record.fleet()));
        MODE.put(item, s(record.mode().label()));
        record.enrollmentId().ifPresent(id -> ENROLLMENT_ID.put(item, s(id)));
        REGISTRATION_LIMIT.put(item, n(record.registrationLimit()));
        EXPIRES_AT.put(item, epoch(record.expiresAt()));
        CREATED_AT.put(item, s(record.createdAt().toString()));
        TTL.put(item, epoch(record.expiresAt().plus(RETENTION_AFTER_EXPIRY)));
        return item;
    }

    public static ActivationRecord activation(Map<String, AttributeValue> item) {
        return new ActivationRecord(
                ACTIVATION_ID.in(item).s(),
                FLEET.in(item).s(),
                FleetMode.parse(MODE.in(item).s()),
                optionalString(item, ENROLLMENT_ID),
                readInt(REGISTRATION_LIMIT.in(item)),
                readEpoch(EXPIRES_AT.in(item)),
                Instant.parse(CREATED_AT.in(item).s()));
    }

    // The last scheduled run

    static Map<String, AttributeValue> runItem(RotationRun run) {
        Map<String, AttributeValue> item = lastRunKey();
        STARTED_AT.put(item, s(run.startedAt().toString()));
        TOOK_MS.put(item, n(run.took().toMillis()));
        FLEETS_CHECKED.put(item, n(run.fleetsChecked()));
        ROTATED.put(item, stringList(run.rotated()));
        FAILED.put(item, stringMap(run.failed()));
        DELETED_SPENT.put(item, n(run.deletedSpent()));
        DELETED_REPLACED.put(item, n(run.deletedReplaced()));
        DELETED_ORPHANS.put(item, n(run.deletedOrphans()));
        FOREIGN.put(item, n(run.foreign()));
        DEFERRED.put(item, n(run.deferred()));
        SSM_CALLS.put(item, n(run.ssmCalls()));
        return item;
    }

    static RotationRun run(Map<String, AttributeValue> item) {
        return new RotationRun(
                Instant.parse(STARTED_AT.in(item).s()),
                Duration.ofMillis(Long.parseLong(TOOK_MS.in(item).n())),
                readInt(FLEETS_CHECKED.in(item)),
                readStringList(ROTATED.in(item)),
                readStringMap(FAILED.in(item)),
                readInt(DELETED_SPENT.in(item)),
                readInt(DELETED_REPLACED.in(item)),
                readInt(DELETED_ORPHANS.in(item)),
                readInt(FOREIGN.in(item)),
                readInt(DEFERRED.in(item)),
                Long.parseLong(SSM_CALLS.in(item).n()));
    }

    // Attribute values

    private static final DateTimeFormatter SORTABLE =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** Fixed-width UTC time, so that sort keys order as the instants do. */
    public static String sortable(Instant instant) {
        return SORTABLE.format(instant);
    }

    static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    static AttributeValue epoch(Instant instant) {
        return n(instant.getEpochSecond());
    }

    static Instant readEpoch(AttributeValue value) {
        return Instant.ofEpochSecond(Long.parseLong(value.n()));
    }

    static int readInt(AttributeValue value) {
        return value == null ? 0 : Integer.parseInt(value.n());
    }

    static void putIfPresent(Map<String, AttributeValue> item, Attr attribute, String value) {
        if (value != null) {
            attribute.put(item, s(value));
        }
    }

    static Optional<String> optionalString(Map<String, AttributeValue> item, Attr attribute) {
        AttributeValue value = attribute.in(item);
        return value == null || value.s() == null ? Optional.empty() : Optional.of(value.s());
    }

    private static AttributeValue stringMap(Map<String, String> map) {
        Map<String, AttributeValue> values = new LinkedHashMap<>();
        map.forEach((key, value) -> values.put(key, s(value)));
        return AttributeValue.fromM(values);
    }

    private static Map<String, String> readStringMap(AttributeValue value) {
        Map<String, String> map = new LinkedHashMap<>();
        if (value != null && value.hasM()) {
            value.m().forEach((key, entry) -> map.put(key, entry.s()));
        }
        return map;
    }

    private static AttributeValue stringList(List<String> list) {
        return AttributeValue.fromL(list.stream().map(TableItems::s).toList());
    }

    private static List<String> readStringList(AttributeValue value) {
        return value == null || !value.hasL()
                ? List.of()
                : value.l().stream().map(AttributeValue::s).toList();
    }
}
