package dev.hybridonboarding.aws;

import static dev.hybridonboarding.aws.Attr.ACTIVATION_ID;
import static dev.hybridonboarding.aws.Attr.DELETED_AT;
import static dev.hybridonboarding.aws.Attr.GSI1_PK;
import static dev.hybridonboarding.aws.Attr.GSI1_SK;
import static dev.hybridonboarding.aws.Attr.PK;
import static dev.hybridonboarding.aws.Attr.TTL;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.RotationRun;
import dev.hybridonboarding.rotation.RotationStore;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/** What the scheduled runs read and keep in the table; see {@link TableItems} for the layout. */
public final class DynamoRotationStore implements RotationStore {

    private final DynamoCalls calls;

    public DynamoRotationStore(DynamoCalls calls) {
        this.calls = calls;
    }

    public DynamoRotationStore(DynamoDbClient dynamo, String table) {
        this(new DynamoCalls(dynamo, table));
    }

    @Override
    public List<Fleet> storedFleets() {
        return partition(TableItems.FLEETS, Optional.empty(), Optional.empty())
                .map(TableItems::fleet)
                .toList();
    }

    @Override
    public List<ActivationRecord> liveActivations(String fleet) {
        Expression live = Expression.of("attribute_not_exists(%s)", DELETED_AT);
        return partition(TableItems.activationsOfFleet(fleet), Optional.empty(), Optional.of(live))
                .map(TableItems::activation)
                .sorted(Comparator.comparing(ActivationRecord::createdAt))
                .toList();
    }

    @Override
    public void markDeleted(String activationId, Instant at) {
        Expression update = Expression.of("SET %s = :at, %s = :ttl", DELETED_AT, TTL);
        Expression exists = Expression.of("attribute_exists(%s)", PK);
        try {
            DynamoCalls.call(
                    "UpdateItem",
                    () -> calls.client()
                            .updateItem(request -> request.tableName(calls.table())
                                    .key(TableItems.activationKey(activationId))
                                    .updateExpression(update.text())
                                    .conditionExpression(exists.text())
                                    .expressionAttributeNames(update.namesWith(exists))
                                    .expressionAttributeValues(Map.of(
                                            ":at", TableItems.s(at.toString()),
                                            ":ttl", TableItems.epoch(at.plus(TableItems.RETENTION_AFTER_EXPIRY))))));
        } catch (ConditionalCheckFailedException gone) {
            // Its record expired meanwhile: nothing left to mark.
        }
    }

    @Override
    public void dropRetryRecords(ActivationRecord activation) {
        Stream<EnrollmentRecord> enrollments = activation.mode() == FleetMode.SINGLE_USE
                ? activation
                        .enrollmentId()
                        .flatMap(id -> calls.get(TableItems.enrollmentKey(id)))
                        .map(TableItems::enrollment)
                        .stream()
                : partition(
                                TableItems.enrollmentsOfFleet(activation.fleet()),
                                Optional.of(TableItems.sortable(activation.createdAt())),
                                Optional.empty())
                        .map(TableItems::enrollment)
                        .filter(enrollment -> enrollment.activationId().equals(activation.activationId()));
        enrollments.forEach(enrollment -> enrollment
                .request()
                .machineId()
                .ifPresent(machineId -> dropRetryRecord(enrollment.tokenId(), machineId, activation.activationId())));
    }

    @Override
    public void saveRun(RotationRun run) {
        DynamoCalls.call(
                "PutItem",
                () -> calls.client()
                        .putItem(request -> request.tableName(calls.table()).item(TableItems.runItem(run))));
    }

    @Override
    public Optional<RotationRun> lastRun() {
        return calls.get(TableItems.lastRunKey()).map(TableItems::run);
    }

    /** Only the record that still points at this activation: a retry may have replaced it with a newer one. */
    private void dropRetryRecord(String tokenId, String machineId, String activationId) {
        Expression same = Expression.of("%s = :activationId", ACTIVATION_ID);
        try {
            DynamoCalls.call(
                    "DeleteItem",
                    () -> calls.client()
                            .deleteItem(request -> request.tableName(calls.table())
                                    .key(TableItems.retryKey(tokenId, machineId))
                                    .conditionExpression(same.text())
                                    .expressionAttributeNames(same.names())
                                    .expressionAttributeValues(Map.of(":activationId", TableItems.s(activationId)))));
        } catch (ConditionalCheckFailedException replaced) {
            // Gone, or pointing at a newer activation that a retry may still need.
        }
    }

    /** The items of one gsi1 partition, from a sort key on if given, through the SDK's paginator. */
    private Stream<Map<String, AttributeValue>> partition(
            String partition, Optional<String> fromSortKey, Optional<Expression> filter) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":partition", TableItems.s(partition));
        Expression key = fromSortKey.isPresent()
                ? Expression.of("%s = :partition AND %s >= :from", GSI1_PK, GSI1_SK)
                : Expression.of("%s = :partition", GSI1_PK);
        fromSortKey.ifPresent(from -> values.put(":from", TableItems.s(from)));
        Map<String, String> names = filter.map(key::namesWith).orElse(key.names());
        QueryRequest.Builder request = QueryRequest.builder()
                .tableName(calls.table())
                .indexName(TableItems.GSI1)
                .keyConditionExpression(key.text())
                .expressionAttributeNames(names)
                .expressionAttributeValues(values);
        filter.ifPresent(f -> request.filterExpression(f.text()));
        return DynamoCalls.call(
                "Query",
                () -> calls.client().queryPaginator(request.build()).items().stream()
                        .toList())
                .stream();
    }
}
