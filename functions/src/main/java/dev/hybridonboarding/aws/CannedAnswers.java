package dev.hybridonboarding.aws;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.EnrollmentToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The answers DynamoDB, SSM and KMS would give, in their wire format, for a {@link CannedHttpClient}: the items come
 * from the same mappers the stores write with, so a primed read exercises the real unmarshalling.
 */
public final class CannedAnswers {

    public static final String BATCH_GET = "DynamoDB_20120810.BatchGetItem";
    public static final String TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems";
    public static final String UPDATE_ITEM = "DynamoDB_20120810.UpdateItem";
    public static final String CREATE_ACTIVATION = "AmazonSSM.CreateActivation";
    public static final String DESCRIBE_ACTIVATIONS = "AmazonSSM.DescribeActivations";
    public static final String DECRYPT = "TrentService.Decrypt";

    private final String table;
    private final List<Map<String, AttributeValue>> items = new ArrayList<>();

    private CannedAnswers(String table) {
        this.table = table;
    }

    /** A BatchGetItem answer, built item by item. */
    public static CannedAnswers batchGet(String table) {
        return new CannedAnswers(table);
    }

    public CannedAnswers token(EnrollmentToken token) {
        items.add(TableItems.tokenItem(token));
        return this;
    }

    public CannedAnswers fleet(Fleet fleet, Instant now) {
        items.add(TableItems.fleetItem(fleet, now));
        return this;
    }

    public CannedAnswers sharedActivation(String fleet, SharedActivation shared) {
        items.add(TableItems.sharedActivationItem(fleet, shared));
        return this;
    }

    public CannedAnswers retryRecord(String tokenId, RetryRecord retry) {
        items.add(TableItems.retryItem(tokenId, retry));
        return this;
    }

    public String json() {
        List<Map<String, Object>> found =
                items.stream().map(CannedAnswers::item).toList();
        return json(Map.of("Responses", Map.of(table, found), "UnprocessedKeys", Map.of()));
    }

    public static String nothing() {
        return "{}";
    }

    public static String createdActivation(String activationId, ActivationCode code) {
        return json(Map.of("ActivationId", activationId, "ActivationCode", code.reveal()));
    }

    public static String describedActivation(String activationId, int registrationLimit, Instant expiresAt) {
        Map<String, Object> activation = new LinkedHashMap<>();
        activation.put("ActivationId", activationId);
        activation.put("RegistrationLimit", registrationLimit);
        activation.put("RegistrationsCount", 0);
        activation.put("Expired", false);
        activation.put("ExpirationDate", expiresAt.getEpochSecond());
        return json(Map.of("ActivationList", List.of(activation)));
    }

    public static String decrypted(ActivationCode code, String keyId) {
        return json(Map.of(
                "Plaintext",
                Base64.getEncoder().encodeToString(code.reveal().getBytes(StandardCharsets.UTF_8)),
                "KeyId",
                keyId,
                "EncryptionAlgorithm",
                "SYMMETRIC_DEFAULT"));
    }

    private static Map<String, Object> item(Map<String, AttributeValue> item) {
        Map<String, Object> json = new LinkedHashMap<>();
        item.forEach((name, value) -> json.put(name, value(value)));
        return json;
    }

    private static Map<String, Object> value(AttributeValue value) {
        return switch (value.type()) {
            case S -> Map.of("S", value.s());
            case N -> Map.of("N", value.n());
            case B -> Map.of("B", Base64.getEncoder().encodeToString(value.b().asByteArray()));
            case BOOL -> Map.of("BOOL", value.bool());
            case M -> Map.of("M", item(value.m()));
            case L -> Map.of("L", value.l().stream().map(CannedAnswers::value).toList());
            default -> throw new IllegalArgumentException("the table holds no " + value.type() + " attributes");
        };
    }

    private static String json(Object value) {
        try {
            return JSON.std.asString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
