package dev.hybridonboarding.aws;

import static dev.hybridonboarding.aws.Attr.ACTIVATION_ID;
import static dev.hybridonboarding.aws.Attr.COUNT;
import static dev.hybridonboarding.aws.Attr.DEREGISTERED_AT;
import static dev.hybridonboarding.aws.Attr.GSI1_PK;
import static dev.hybridonboarding.aws.Attr.GSI1_SK;
import static dev.hybridonboarding.aws.Attr.INSTANCE_ID;
import static dev.hybridonboarding.aws.Attr.KIND;
import static dev.hybridonboarding.aws.Attr.LEASE_UNTIL;
import static dev.hybridonboarding.aws.Attr.NAME;
import static dev.hybridonboarding.aws.Attr.OWNER;
import static dev.hybridonboarding.aws.Attr.PK;
import static dev.hybridonboarding.aws.Attr.REGISTERED_AT;
import static dev.hybridonboarding.aws.Attr.SENT_AT;
import static dev.hybridonboarding.aws.Attr.SK;
import static dev.hybridonboarding.aws.Attr.TTL;
import static dev.hybridonboarding.aws.Attr.WINDOW_END;
import static dev.hybridonboarding.aws.Attr.WINDOW_START;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.registration.DigestEntry;
import dev.hybridonboarding.registration.DigestKind;
import dev.hybridonboarding.registration.DigestMember;
import dev.hybridonboarding.registration.DigestStore;
import dev.hybridonboarding.registration.InstanceRecord;
import dev.hybridonboarding.registration.Leased;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationStore;
import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The registration step's records on the table: instances, the enrollments they registered for, digest windows and
 * their members; see {@link TableItems} for the layout. Leases and counters are conditional updates, atomic in DynamoDB.
 */
public final class DynamoRegistrationStore implements RegistrationStore, DigestStore {

    /** DynamoDB drops a window's counter and members this long after it ended, and a deregistered instance's record. */
    static final Duration RETENTION = Duration.ofDays(90);

    private static final int BATCH_GET_KEYS = 100;

    private final DynamoCalls calls;

    public DynamoRegistrationStore(DynamoCalls calls) {
        this.calls = calls;
    }

    public DynamoRegistrationStore(DynamoDbClient dynamo, String table) {
        this(new DynamoCalls(dynamo, table));
    }

    // Instances

    @Override
    public Map<String, InstanceRecord> instances(Collection<String> instanceIds) {
        Map<String, InstanceRecord> found = new HashMap<>();
        List<String> ids = List.copyOf(new LinkedHashSet<>(instanceIds));
        for (int start = 0; start < ids.size(); start += BATCH_GET_KEYS) {
            Map<String, Map<String, AttributeValue>> keys = new HashMap<>();
            ids.subList(start, Math.min(ids.size(), start + BATCH_GET_KEYS))
                    .forEach(id -> keys.put(id, RegistrationItems.instanceKey(id)));
            calls.batchGet(keys).forEach((id, item) -> found.put(id, RegistrationItems.instance(id, item)));
        }
        return found;
    }

    @Override
    public Leased<InstanceRecord> lease(String instanceId, Change change, String owner, Instant now, Instant until) {
        Attr handled = RegistrationItems.handledAt(change);
        Expression update = Expression.of("SET %s = :owner, %s = :until, %s = :id", OWNER, LEASE_UNTIL, INSTANCE_ID);
        Expression free = Expression.of(
                "attribute_not_exists(%s) AND (attribute_not_exists(%s) OR %s < :now OR %s = :owner)",
                handled, LEASE_UNTIL, LEASE_UNTIL, OWNER);
        try {
            Map<String, AttributeValue> item = DynamoCalls.call(
                            "UpdateItem",
                            () -> calls.client()
                                    .updateItem(request -> request.tableName(calls.table())
                                            .key(RegistrationItems.instanceKey(instanceId))
                                            .updateExpression(update.text())
                                            .conditionExpression(free.text())
                                            .expressionAttributeNames(update.namesWith(free))
                                            .expressionAttributeValues(Map.of(
                                                    ":owner",
                                                    TableItems.s(owner),
                                                    ":until",
                                                    TableItems.n(until.toEpochMilli()),
                                                    ":now",
                                                    TableItems.n(now.toEpochMilli()),
                                                    ":id",
                                                    TableItems.s(instanceId)))
                                            .returnValues(ReturnValue.ALL_NEW)
                                            .returnValuesOnConditionCheckFailure(
                                                    ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                    .attributes();
            return new Leased.Taken<>(RegistrationItems.instance(instanceId, item));
        } catch (ConditionalCheckFailedException refused) {
            return refused.hasItem() && handled.in(refused.item()) != null
                    ? new Leased.Handled<>()
                    : new Leased.Held<>();
        }
    }

    @Override
    public void release(String instanceId, String owner) {
        releaseLease(RegistrationItems.instanceKey(instanceId), owner);
    }

    @Override
    public boolean handled(
            String instanceId, Change change, InstanceRecord.Facts facts, Instant at, Optional<DigestEntry> digest) {
        Map<Attr, AttributeValue> set = new LinkedHashMap<>(RegistrationItems.facts(facts));
        set.put(RegistrationItems.handledAt(change), TableItems.s(at.toString()));
        set.put(INSTANCE_ID, TableItems.s(instanceId));
        if (change == Change.DEREGISTERED) {
            set.put(TTL, TableItems.epoch(at.plus(RETENTION)));
        }
        Update update = new Update(set, List.of(OWNER, LEASE_UNTIL));
        if (digest.isEmpty()) {
            DynamoCalls.call(
                    "UpdateItem",
                    () -> calls.client()
                            .updateItem(request -> request.tableName(calls.table())
                                    .key(RegistrationItems.instanceKey(instanceId))
                                    .updateExpression(update.expression().text())
                                    .expressionAttributeNames(
                                            update.expression().names())
                                    .expressionAttributeValues(update.values())));
            return true;
        }
        DigestEntry entry = digest.get();
        Map<String, AttributeValue> member =
                RegistrationItems.memberItem(entry.kind(), entry.windowStart(), entry.member());
        TTL.put(member, TableItems.epoch(at.plus(RETENTION)));
        Expression listed = Expression.of("SET %s = :unsent", GSI1_PK);
        Expression notSent = Expression.of("attribute_not_exists(%s) AND attribute_exists(%s)", SENT_AT, WINDOW_END);
        Optional<List<CancellationReason>> cancelled = calls.transact(List.of(
                TransactWriteItem.builder()
                        .update(u -> u.tableName(calls.table())
                                .key(RegistrationItems.instanceKey(instanceId))
                                .updateExpression(update.expression().text())
                                .expressionAttributeNames(update.expression().names())
                                .expressionAttributeValues(update.values()))
                        .build(),
                TransactWriteItem.builder()
                        .put(p -> p.tableName(calls.table()).item(member))
                        .build(),
                TransactWriteItem.builder()
                        .update(u -> u.tableName(calls.table())
                                .key(RegistrationItems.windowKey(entry.kind(), entry.windowStart()))
                                .updateExpression(listed.text())
                                .conditionExpression(notSent.text())
                                .expressionAttributeNames(listed.namesWith(notSent))
                                .expressionAttributeValues(
                                        Map.of(":unsent", TableItems.s(RegistrationItems.UNSENT_DIGESTS))))
                        .build()));
        if (cancelled.isPresent()) {
            handled(instanceId, change, facts, at, Optional.empty());
            return false;
        }
        return true;
    }

    // Enrollments and activations

    @Override
    public Optional<ActivationRecord> activation(String activationId) {
        return calls.get(TableItems.activationKey(activationId)).map(TableItems::activation);
    }

    @Override
    public Optional<EnrollmentRecord> enrollment(String enrollmentId) {
        return calls.get(TableItems.enrollmentKey(enrollmentId)).map(TableItems::enrollment);
    }

    @Override
    public List<EnrollmentRecord> enrollmentsWith(String fleet, String activationId, Instant from, Instant to) {
        Expression key = Expression.of("%s = :partition AND %s BETWEEN :from AND :to", GSI1_PK, GSI1_SK);
        Expression same = Expression.of("%s = :activationId", ACTIVATION_ID);
        return query(QueryRequest.builder()
                        .indexName(TableItems.GSI1)
                        .keyConditionExpression(key.text())
                        .filterExpression(same.text())
                        .expressionAttributeNames(key.namesWith(same))
                        .expressionAttributeValues(Map.of(
                                ":partition",
                                TableItems.s(TableItems.enrollmentsOfFleet(fleet)),
                                ":from",
                                TableItems.s(TableItems.sortable(from)),
                                ":to",
                                TableItems.s(TableItems.sortable(to) + "~"),
                                ":activationId",
                                TableItems.s(activationId)))
                        .scanIndexForward(false))
                .stream()
                .map(TableItems::enrollment)
                .toList();
    }

    @Override
    public boolean linkEnrollment(String enrollmentId, String instanceId, Instant registeredAt) {
        Expression update =
                Expression.of("SET %s = :id, %s = if_not_exists(%s, :at)", INSTANCE_ID, REGISTERED_AT, REGISTERED_AT);
        Expression free = Expression.of(
                "attribute_exists(%s) AND (attribute_not_exists(%s) OR %s = :id)", PK, INSTANCE_ID, INSTANCE_ID);
        try {
            DynamoCalls.call(
                    "UpdateItem",
                    () -> calls.client()
                            .updateItem(request -> request.tableName(calls.table())
                                    .key(TableItems.enrollmentKey(enrollmentId))
                                    .updateExpression(update.text())
                                    .conditionExpression(free.text())
                                    .expressionAttributeNames(update.namesWith(free))
                                    .expressionAttributeValues(Map.of(
                                            ":id",
                                            TableItems.s(instanceId),
                                            ":at",
                                            TableItems.s(registeredAt.toString())))));
            return true;
        } catch (ConditionalCheckFailedException taken) {
            return false;
        }
    }

    @Override
    public void enrollmentDeregistered(String enrollmentId, String instanceId, Instant at) {
        Expression update =
                Expression.of("SET %s = if_not_exists(%s, :id), %s = :at", INSTANCE_ID, INSTANCE_ID, DEREGISTERED_AT);
        Expression exists = Expression.of("attribute_exists(%s)", PK);
        try {
            DynamoCalls.call(
                    "UpdateItem",
                    () -> calls.client()
                            .updateItem(request -> request.tableName(calls.table())
                                    .key(TableItems.enrollmentKey(enrollmentId))
                                    .updateExpression(update.text())
                                    .conditionExpression(exists.text())
                                    .expressionAttributeNames(update.namesWith(exists))
                                    .expressionAttributeValues(Map.of(
                                            ":id", TableItems.s(instanceId), ":at", TableItems.s(at.toString())))));
        } catch (ConditionalCheckFailedException gone) {
            // The enrollment's record expired: nothing left to mark.
        }
    }

    @Override
    public List<String> fleetNames() {
        Expression key = Expression.of("%s = :partition", GSI1_PK);
        return query(QueryRequest.builder()
                        .indexName(TableItems.GSI1)
                        .keyConditionExpression(key.text())
                        .expressionAttributeNames(key.names())
                        .expressionAttributeValues(Map.of(":partition", TableItems.s(TableItems.FLEETS))))
                .stream()
                .map(item -> NAME.in(item).s())
                .toList();
    }

    @Override
    public List<ActivationRecord> activationsExpiringAfter(String fleet, Instant expiredAfter) {
        Expression key = Expression.of("%s = :partition AND %s >= :from", GSI1_PK, GSI1_SK);
        return query(QueryRequest.builder()
                        .indexName(TableItems.GSI1)
                        .keyConditionExpression(key.text())
                        .expressionAttributeNames(key.names())
                        .expressionAttributeValues(Map.of(
                                ":partition",
                                TableItems.s(TableItems.activationsOfFleet(fleet)),
                                ":from",
                                TableItems.s(TableItems.sortable(expiredAfter)))))
                .stream()
                .map(TableItems::activation)
                .toList();
    }

    // Digests

    @Override
    public Admission admit(DigestKind kind, Instant windowStart, Instant windowEnd) {
        // The sort key lists the window among the unsent digests once handled() gives it the partition key too.
        Expression update = Expression.of(
                "ADD %s :one SET %s = :kind, %s = :start, %s = :end, %s = :ttl, %s = :sortKey",
                COUNT, KIND, WINDOW_START, WINDOW_END, TTL, GSI1_SK);
        Map<String, AttributeValue> item = DynamoCalls.call(
                        "UpdateItem",
                        () -> calls.client()
                                .updateItem(request -> request.tableName(calls.table())
                                        .key(RegistrationItems.windowKey(kind, windowStart))
                                        .updateExpression(update.text())
                                        .expressionAttributeNames(update.names())
                                        .expressionAttributeValues(Map.of(
                                                ":one",
                                                TableItems.n(1),
                                                ":kind",
                                                TableItems.s(kind.label()),
                                                ":start",
                                                TableItems.epoch(windowStart),
                                                ":end",
                                                TableItems.s(windowEnd.toString()),
                                                ":ttl",
                                                TableItems.epoch(windowEnd.plus(RETENTION)),
                                                ":sortKey",
                                                TableItems.s(
                                                        RegistrationItems.unsentSortKey(windowEnd, kind, windowStart))))
                                        .returnValues(ReturnValue.ALL_NEW)))
                .attributes();
        return new Admission(Long.parseLong(COUNT.in(item).n()), SENT_AT.in(item) != null);
    }

    @Override
    public List<DigestMember> members(DigestKind kind, Instant windowStart) {
        Expression key = Expression.of("%s = :partition AND begins_with(%s, :member)", PK, SK);
        return query(QueryRequest.builder()
                        .keyConditionExpression(key.text())
                        .expressionAttributeNames(key.names())
                        .expressionAttributeValues(Map.of(
                                ":partition",
                                TableItems.s(RegistrationItems.windowPartition(kind, windowStart)),
                                ":member",
                                TableItems.s(RegistrationItems.memberPrefix())))
                        .consistentRead(true))
                .stream()
                .map(RegistrationItems::member)
                .toList();
    }

    @Override
    public Leased<Window> lease(DigestKind kind, Instant windowStart, String owner, Instant now, Instant until) {
        Expression update = Expression.of("SET %s = :owner, %s = :until", OWNER, LEASE_UNTIL);
        Expression free = Expression.of(
                "attribute_not_exists(%s) AND (attribute_not_exists(%s) OR %s < :now OR %s = :owner)",
                SENT_AT, LEASE_UNTIL, LEASE_UNTIL, OWNER);
        try {
            DynamoCalls.call(
                    "UpdateItem",
                    () -> calls.client()
                            .updateItem(request -> request.tableName(calls.table())
                                    .key(RegistrationItems.windowKey(kind, windowStart))
                                    .updateExpression(update.text())
                                    .conditionExpression(free.text())
                                    .expressionAttributeNames(update.namesWith(free))
                                    .expressionAttributeValues(Map.of(
                                            ":owner",
                                            TableItems.s(owner),
                                            ":until",
                                            TableItems.n(until.toEpochMilli()),
                                            ":now",
                                            TableItems.n(now.toEpochMilli())))
                                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)));
            return new Leased.Taken<>(new Window(kind, windowStart));
        } catch (ConditionalCheckFailedException refused) {
            return refused.hasItem() && SENT_AT.in(refused.item()) != null
                    ? new Leased.Handled<>()
                    : new Leased.Held<>();
        }
    }

    @Override
    public void sent(DigestKind kind, Instant windowStart, Instant at) {
        Expression update =
                Expression.of("SET %s = :at REMOVE %s, %s, %s, %s", SENT_AT, OWNER, LEASE_UNTIL, GSI1_PK, GSI1_SK);
        DynamoCalls.call(
                "UpdateItem",
                () -> calls.client()
                        .updateItem(request -> request.tableName(calls.table())
                                .key(RegistrationItems.windowKey(kind, windowStart))
                                .updateExpression(update.text())
                                .expressionAttributeNames(update.names())
                                .expressionAttributeValues(Map.of(":at", TableItems.s(at.toString())))));
    }

    @Override
    public void release(DigestKind kind, Instant windowStart, String owner) {
        releaseLease(RegistrationItems.windowKey(kind, windowStart), owner);
    }

    @Override
    public List<Window> unsent(Instant endedBefore) {
        Expression key = Expression.of("%s = :partition AND %s < :before", GSI1_PK, GSI1_SK);
        return query(QueryRequest.builder()
                        .indexName(TableItems.GSI1)
                        .keyConditionExpression(key.text())
                        .expressionAttributeNames(key.names())
                        .expressionAttributeValues(Map.of(
                                ":partition",
                                TableItems.s(RegistrationItems.UNSENT_DIGESTS),
                                ":before",
                                TableItems.s(TableItems.sortable(endedBefore)))))
                .stream()
                .filter(item -> Instant.parse(WINDOW_END.in(item).s()).isBefore(endedBefore))
                .map(item -> new Window(RegistrationItems.kind(item), RegistrationItems.windowStart(item)))
                .toList();
    }

    private void releaseLease(Map<String, AttributeValue> key, String owner) {
        Expression update = Expression.of("REMOVE %s, %s", OWNER, LEASE_UNTIL);
        Expression ours = Expression.of("%s = :owner", OWNER);
        try {
            DynamoCalls.call(
                    "UpdateItem",
                    () -> calls.client()
                            .updateItem(request -> request.tableName(calls.table())
                                    .key(key)
                                    .updateExpression(update.text())
                                    .conditionExpression(ours.text())
                                    .expressionAttributeNames(update.namesWith(ours))
                                    .expressionAttributeValues(Map.of(":owner", TableItems.s(owner)))));
        } catch (ConditionalCheckFailedException notOurs) {
            // Ran out and taken by someone else, whose lease stays.
        }
    }

    /** Every page of a query of the table (or its index), through the SDK's paginator. */
    private List<Map<String, AttributeValue>> query(QueryRequest.Builder request) {
        QueryRequest built = request.tableName(calls.table()).build();
        return DynamoCalls.call(
                "Query",
                () -> calls.client().queryPaginator(built).items().stream().toList());
    }

    /** An update that sets some attributes and removes others, with a placeholder for each. */
    private record Update(Map<Attr, AttributeValue> set, List<Attr> remove) {

        Expression expression() {
            List<Attr> attributes = new ArrayList<>();
            StringBuilder text = new StringBuilder("SET ");
            List<String> clauses = new ArrayList<>();
            set.keySet().forEach(attribute -> {
                clauses.add("%s = :" + attribute.attribute());
                attributes.add(attribute);
            });
            text.append(String.join(", ", clauses));
            if (!remove.isEmpty()) {
                text.append(" REMOVE ")
                        .append(String.join(", ", remove.stream().map(a -> "%s").toList()));
                attributes.addAll(remove);
            }
            return Expression.of(text.toString(), attributes.toArray(Attr[]::new));
        }

        Map<String, AttributeValue> values() {
            Map<String, AttributeValue> values = new HashMap<>();
            set.forEach((attribute, value) -> values.put(":" + attribute.attribute(), value));
            return values;
        }
    }
}
