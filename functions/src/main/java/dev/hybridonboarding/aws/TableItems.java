package dev.hybridonboarding.aws;

import dev.hybridonboarding.enrollment.ActivationRecord;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.enrollment.SharedActivation;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
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
 * lets DynamoDB drop what has no use left.
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
 * </pre>
 */
public final class TableItems {

    public static final String PK = "pk";
    public static final String SK = "sk";
    public static final String GSI1 = "gsi1";
    public static final String GSI1_PK = "gsi1pk";
    public static final String GSI1_SK = "gsi1sk";
    public static final String TTL = "ttl";

    public static final String FLEETS = "FLEETS";
    /** Token and retry records outlive their expiry a while, so that audits can still resolve them. */
    static final Duration RETENTION_AFTER_EXPIRY = Duration.ofDays(90);

    private TableItems() {
    }

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

    static Map<String, AttributeValue> sourceFailuresKey(String sourceIp, Instant window) {
        return key("FAILURES#source#" + sourceIp, "W#" + window.getEpochSecond());
    }

    static Map<String, AttributeValue> tokenFailuresKey(String tokenId, Instant window) {
        return key("FAILURES#token#" + tokenId, "W#" + window.getEpochSecond());
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

    private static Map<String, AttributeValue> key(String pk, String sk) {
        Map<String, AttributeValue> key = new HashMap<>();
        key.put(PK, s(pk));
        key.put(SK, s(sk));
        return key;
    }

    // Fleets

    public static Map<String, AttributeValue> fleetItem(Fleet fleet, Instant now) {
        Map<String, AttributeValue> item = fleetKey(fleet.name());
        item.put(GSI1_PK, s(FLEETS));
        item.put(GSI1_SK, s(fleet.name()));
        item.put("name", s(fleet.name()));
        item.put("mode", s(fleet.mode().label()));
        item.put("instanceRole", s(fleet.instanceRole()));
        item.put("tags", stringMap(fleet.tags()));
        item.put("acceptedTagKeys", stringList(List.copyOf(fleet.acceptedTagKeys())));
        item.put("registrationLimit", n(fleet.registrationLimit()));
        item.put("activationLifetime", s(fleet.activationLifetime().toString()));
        item.put("enabled", AttributeValue.fromBool(fleet.enabled()));
        putIfPresent(item, "description", fleet.description());
        item.put("version", n(fleet.version()));
        item.put("updatedAt", s(now.toString()));
        return item;
    }

    public static Fleet fleet(Map<String, AttributeValue> item) {
        return new Fleet(
                item.get("name").s(),
                FleetMode.parse(item.get("mode").s()),
                item.get("instanceRole").s(),
                readStringMap(item.get("tags")),
                new LinkedHashSet<>(readStringList(item.get("acceptedTagKeys"))),
                Integer.parseInt(item.get("registrationLimit").n()),
                Duration.parse(item.get("activationLifetime").s()),
                item.get("enabled").bool(),
                optionalString(item, "description").orElse(null),
                Long.parseLong(item.get("version").n()));
    }

    // Tokens

    public static Map<String, AttributeValue> tokenItem(EnrollmentToken token) {
        Map<String, AttributeValue> item = tokenKey(token.tokenId());
        item.put(GSI1_PK, s(tokensOfFleet(token.fleet())));
        item.put(GSI1_SK, s(sortable(token.createdAt()) + "#" + token.tokenId()));
        item.put("tokenId", s(token.tokenId()));
        item.put("fleet", s(token.fleet()));
        item.put("secretHash", AttributeValue.fromB(SdkBytes.fromByteArray(token.secretHash())));
        item.put("maxUses", n(token.maxUses()));
        item.put("uses", n(token.uses()));
        item.put("expiresAt", epoch(token.expiresAt()));
        item.put("sourceCidrs", stringList(token.sourceCidrs()));
        putIfPresent(item, "description", token.description());
        item.put("revoked", AttributeValue.fromBool(token.revoked()));
        item.put("createdAt", s(token.createdAt().toString()));
        item.put(TTL, epoch(token.expiresAt().plus(RETENTION_AFTER_EXPIRY)));
        return item;
    }

    public static EnrollmentToken token(Map<String, AttributeValue> item) {
        return new EnrollmentToken(
                item.get("tokenId").s(),
                item.get("fleet").s(),
                item.get("secretHash").b().asByteArray(),
                Integer.parseInt(item.get("maxUses").n()),
                Integer.parseInt(item.get("uses").n()),
                readEpoch(item.get("expiresAt")),
                readStringList(item.get("sourceCidrs")),
                optionalString(item, "description").orElse(null),
                item.get("revoked").bool(),
                Instant.parse(item.get("createdAt").s()));
    }

    // Retry records

    static Map<String, AttributeValue> retryItem(String tokenId, RetryRecord retry) {
        Map<String, AttributeValue> item = retryKey(tokenId, retry.machineId());
        item.put("machineId", s(retry.machineId()));
        item.put("enrollmentId", s(retry.enrollmentId()));
        item.put("activationId", s(retry.activationId()));
        item.put("sealedCode", AttributeValue.fromB(SdkBytes.fromByteArray(retry.sealedCode())));
        item.put("sealing", s(retry.sealing().name()));
        item.put("expiresAt", epoch(retry.expiresAt()));
        item.put("instanceName", s(retry.instanceName()));
        item.put(TTL, epoch(retry.expiresAt().plus(RETENTION_AFTER_EXPIRY)));
        return item;
    }

    static RetryRecord retry(Map<String, AttributeValue> item) {
        return new RetryRecord(
                item.get("machineId").s(),
                item.get("enrollmentId").s(),
                item.get("activationId").s(),
                item.get("sealedCode").b().asByteArray(),
                RetryRecord.CodeSealing.valueOf(item.get("sealing").s()),
                readEpoch(item.get("expiresAt")),
                item.get("instanceName").s());
    }

    // Shared activations

    static Map<String, AttributeValue> sharedActivationItem(String fleet, SharedActivation shared) {
        Map<String, AttributeValue> item = sharedActivationKey(fleet);
        item.put("fleet", s(fleet));
        item.put("activationId", s(shared.activationId()));
        item.put("sealedCode", AttributeValue.fromB(SdkBytes.fromByteArray(shared.sealedCode())));
        item.put("expiresAt", epoch(shared.expiresAt()));
        item.put("registrationLimit", n(shared.registrationLimit()));
        item.put("handedOut", n(shared.handedOut()));
        item.put("createdAt", s(shared.createdAt().toString()));
        return item;
    }

    public static SharedActivation sharedActivation(Map<String, AttributeValue> item) {
        return new SharedActivation(
                item.get("activationId").s(),
                item.get("sealedCode").b().asByteArray(),
                readEpoch(item.get("expiresAt")),
                Integer.parseInt(item.get("registrationLimit").n()),
                Integer.parseInt(item.get("handedOut").n()),
                Instant.parse(item.get("createdAt").s()));
    }

    // Enrollments

    static Map<String, AttributeValue> enrollmentItem(EnrollmentRecord record) {
        Map<String, AttributeValue> item = enrollmentKey(record.enrollmentId());
        item.put(GSI1_PK, s(enrollmentsOfFleet(record.fleet())));
        item.put(GSI1_SK, s(sortable(record.createdAt()) + "#" + record.enrollmentId()));
        item.put("enrollmentId", s(record.enrollmentId()));
        item.put("tokenId", s(record.tokenId()));
        item.put("fleet", s(record.fleet()));
        item.put("mode", s(record.mode().label()));
        item.put("sourceIp", s(record.sourceIp()));
        putIfPresent(item, "userAgent", record.userAgent());
        item.put("hostname", s(record.hostname()));
        item.put("platform", s(record.platform().label()));
        record.machineId().ifPresent(id -> item.put("machineId", s(id)));
        item.put("requestedTags", stringMap(record.requestedTags()));
        item.put("acceptedTags", stringMap(record.acceptedTags()));
        item.put("activationId", s(record.activationId()));
        item.put("activationExpiresAt", epoch(record.activationExpiresAt()));
        item.put("createdAt", s(record.createdAt().toString()));
        return item;
    }

    public static EnrollmentRecord enrollment(Map<String, AttributeValue> item) {
        return new EnrollmentRecord(
                item.get("enrollmentId").s(),
                item.get("tokenId").s(),
                item.get("fleet").s(),
                FleetMode.parse(item.get("mode").s()),
                item.get("sourceIp").s(),
                optionalString(item, "userAgent").orElse(null),
                item.get("hostname").s(),
                Platform.valueOf(item.get("platform").s().toUpperCase(Locale.ROOT)),
                optionalString(item, "machineId"),
                readStringMap(item.get("requestedTags")),
                readStringMap(item.get("acceptedTags")),
                item.get("activationId").s(),
                readEpoch(item.get("activationExpiresAt")),
                Instant.parse(item.get("createdAt").s()));
    }

    // Activations

    static Map<String, AttributeValue> activationItem(ActivationRecord record) {
        Map<String, AttributeValue> item = activationKey(record.activationId());
        item.put(GSI1_PK, s(activationsOfFleet(record.fleet())));
        item.put(GSI1_SK, s(sortable(record.expiresAt()) + "#" + record.activationId()));
        item.put("activationId", s(record.activationId()));
        item.put("fleet", s(record.fleet()));
        item.put("mode", s(record.mode().label()));
        record.enrollmentId().ifPresent(id -> item.put("enrollmentId", s(id)));
        item.put("registrationLimit", n(record.registrationLimit()));
        item.put("expiresAt", epoch(record.expiresAt()));
        item.put("createdAt", s(record.createdAt().toString()));
        item.put(TTL, epoch(record.expiresAt().plus(RETENTION_AFTER_EXPIRY)));
        return item;
    }

    public static ActivationRecord activation(Map<String, AttributeValue> item) {
        return new ActivationRecord(
                item.get("activationId").s(),
                item.get("fleet").s(),
                FleetMode.parse(item.get("mode").s()),
                optionalString(item, "enrollmentId"),
                Integer.parseInt(item.get("registrationLimit").n()),
                readEpoch(item.get("expiresAt")),
                Instant.parse(item.get("createdAt").s()));
    }

    // Attribute helpers

    private static final DateTimeFormatter SORTABLE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

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

    private static void putIfPresent(Map<String, AttributeValue> item, String name, String value) {
        if (value != null) {
            item.put(name, s(value));
        }
    }

    private static Optional<String> optionalString(Map<String, AttributeValue> item, String name) {
        AttributeValue value = item.get(name);
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
        return value == null || !value.hasL() ? List.of() : value.l().stream().map(AttributeValue::s).toList();
    }
}
