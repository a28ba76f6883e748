package dev.hybridonboarding.aws;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.EnrollmentToken;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/** The admin CLI's view of the table; see {@link TableItems} for the layout. */
public final class DynamoAdminStore implements AdminStore {

    private final DynamoDbClient dynamo;
    private final String table;
    private final DynamoCalls calls;

    public DynamoAdminStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
        this.calls = new DynamoCalls(dynamo, table);
    }

    @Override
    public Optional<Fleet> storedFleet(String name) {
        return get(TableItems.fleetKey(name)).map(TableItems::fleet);
    }

    @Override
    public List<Fleet> storedFleets() {
        return query(TableItems.FLEETS, null, true, Integer.MAX_VALUE).stream()
                .map(TableItems::fleet)
                .toList();
    }

    @Override
    public void putFleet(Fleet fleet, long expectedVersion, Instant now) {
        try {
            dynamo.putItem(request -> {
                request.tableName(table).item(TableItems.fleetItem(fleet, now));
                if (expectedVersion == 0) {
                    Expression absent = Expression.of("attribute_not_exists(%s)", Attr.PK);
                    request.conditionExpression(absent.text()).expressionAttributeNames(absent.names());
                } else {
                    Expression unchanged = Expression.of("%s = :expected", Attr.VERSION);
                    request.conditionExpression(unchanged.text())
                            .expressionAttributeNames(unchanged.names())
                            .expressionAttributeValues(Map.of(":expected", TableItems.n(expectedVersion)));
                }
            });
        } catch (ConditionalCheckFailedException raced) {
            throw new ConcurrentChangeException(
                    "fleet '" + fleet.name() + "' changed meanwhile; run the command again");
        }
    }

    @Override
    public void putToken(EnrollmentToken token) {
        Expression absent = Expression.of("attribute_not_exists(%s)", Attr.PK);
        dynamo.putItem(request -> request.tableName(table)
                .item(TableItems.tokenItem(token))
                .conditionExpression(absent.text())
                .expressionAttributeNames(absent.names()));
    }

    @Override
    public Optional<EnrollmentToken> token(String tokenId) {
        return get(TableItems.tokenKey(tokenId)).map(TableItems::token);
    }

    @Override
    public List<EnrollmentToken> tokens(String fleet) {
        return query(TableItems.tokensOfFleet(fleet), null, false, Integer.MAX_VALUE).stream()
                .map(TableItems::token)
                .toList();
    }

    @Override
    public boolean revokeToken(String tokenId, Instant now) {
        Expression revoke = Expression.of("SET %s = :true, %s = :now", Attr.REVOKED, Attr.REVOKED_AT);
        Expression exists = Expression.of("attribute_exists(%s)", Attr.PK);
        try {
            dynamo.updateItem(request -> request.tableName(table)
                    .key(TableItems.tokenKey(tokenId))
                    .updateExpression(revoke.text())
                    .conditionExpression(exists.text())
                    .expressionAttributeNames(revoke.namesWith(exists))
                    .expressionAttributeValues(Map.of(
                            ":true", AttributeValue.fromBool(true),
                            ":now", TableItems.s(now.toString()))));
            return true;
        } catch (ConditionalCheckFailedException noSuchToken) {
            return false;
        }
    }

    @Override
    public List<EnrollmentRecord> enrollments(String fleet, Instant since, int limit) {
        return query(TableItems.enrollmentsOfFleet(fleet), TableItems.sortable(since), false, limit).stream()
                .map(TableItems::enrollment)
                .toList();
    }

    @Override
    public Optional<SharedActivation> sharedActivation(String fleet) {
        return get(TableItems.sharedActivationKey(fleet)).map(TableItems::sharedActivation);
    }

    @Override
    public List<ActivationRecord> activations(String fleet, Instant after) {
        return query(TableItems.activationsOfFleet(fleet), TableItems.sortable(after), true, Integer.MAX_VALUE).stream()
                .map(TableItems::activation)
                .toList();
    }

    private Optional<Map<String, AttributeValue>> get(Map<String, AttributeValue> key) {
        return calls.get(key);
    }

    /** Items of one gsi1 partition, from {@code fromSortKey} on (all if null), through the SDK's paginator. */
    private List<Map<String, AttributeValue>> query(
            String partition, String fromSortKey, boolean ascending, int limit) {
        QueryRequest.Builder request = QueryRequest.builder()
                .tableName(table)
                .indexName(TableItems.GSI1)
                .scanIndexForward(ascending);
        if (fromSortKey == null) {
            Expression inPartition = Expression.of("%s = :partition", Attr.GSI1_PK);
            request.keyConditionExpression(inPartition.text())
                    .expressionAttributeNames(inPartition.names())
                    .expressionAttributeValues(Map.of(":partition", TableItems.s(partition)));
        } else {
            Expression fromKey = Expression.of("%s = :partition AND %s >= :from", Attr.GSI1_PK, Attr.GSI1_SK);
            request.keyConditionExpression(fromKey.text())
                    .expressionAttributeNames(fromKey.names())
                    .expressionAttributeValues(
                            Map.of(":partition", TableItems.s(partition), ":from", TableItems.s(fromSortKey)));
        }
        return dynamo.queryPaginator(request.build()).items().stream()
                .limit(limit)
                .toList();
    }
}
