package dev.hybridonboarding.aws;

import static dev.hybridonboarding.aws.Attr.ACTIVATION_ID;
import static dev.hybridonboarding.aws.Attr.LEASE_UNTIL;
import static dev.hybridonboarding.aws.Attr.OWNER;
import static dev.hybridonboarding.aws.Attr.PK;
import static dev.hybridonboarding.aws.Attr.TTL;

import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.rotation.SharedActivationStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/** Shared fleets' current activations and installation leases on the table; see {@link TableItems} for the layout. */
public final class DynamoSharedActivationStore implements SharedActivationStore {

    /** A lease nobody gave back is dropped by DynamoDB's TTL long after it stopped mattering. */
    private static final Duration LEASE_RETENTION = Duration.ofHours(1);

    private final DynamoCalls calls;

    public DynamoSharedActivationStore(DynamoCalls calls) {
        this.calls = calls;
    }

    public DynamoSharedActivationStore(DynamoDbClient dynamo, String table) {
        this(new DynamoCalls(dynamo, table));
    }

    @Override
    public Optional<SharedActivation> current(String fleet) {
        return calls.get(TableItems.sharedActivationKey(fleet)).map(TableItems::sharedActivation);
    }

    @Override
    public boolean acquireLease(String fleet, String owner, Instant now, Instant until) {
        Map<String, AttributeValue> lease = TableItems.installLeaseKey(fleet);
        OWNER.put(lease, TableItems.s(owner));
        LEASE_UNTIL.put(lease, TableItems.epoch(until));
        TTL.put(lease, TableItems.epoch(until.plus(LEASE_RETENTION)));
        Expression free = Expression.of("attribute_not_exists(%s) OR %s < :now", PK, LEASE_UNTIL);
        try {
            DynamoCalls.call(
                    "PutItem",
                    () -> calls.client()
                            .putItem(request -> request.tableName(calls.table())
                                    .item(lease)
                                    .conditionExpression(free.text())
                                    .expressionAttributeNames(free.names())
                                    .expressionAttributeValues(Map.of(":now", TableItems.epoch(now)))
                                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)));
            return true;
        } catch (ConditionalCheckFailedException held) {
            // A retried PutItem whose first attempt got through finds its own lease.
            AttributeValue holder = held.hasItem() ? OWNER.in(held.item()) : null;
            return holder != null && owner.equals(holder.s());
        }
    }

    @Override
    public void releaseLease(String fleet, String owner) {
        Expression ours = Expression.of("%s = :owner", OWNER);
        try {
            DynamoCalls.call(
                    "DeleteItem",
                    () -> calls.client()
                            .deleteItem(request -> request.tableName(calls.table())
                                    .key(TableItems.installLeaseKey(fleet))
                                    .conditionExpression(ours.text())
                                    .expressionAttributeNames(ours.names())
                                    .expressionAttributeValues(Map.of(":owner", TableItems.s(owner)))));
        } catch (ConditionalCheckFailedException notOurs) {
            // Gone already, or expired and taken by someone else, whose lease stays.
        }
    }

    @Override
    public boolean install(String fleet, Optional<String> replaced, SharedActivation next, ActivationRecord record) {
        Expression stillReplaced = replaced.isPresent()
                ? Expression.of("%s = :replaced", ACTIVATION_ID)
                : Expression.of("attribute_not_exists(%s)", PK);
        TransactWriteItem install = TransactWriteItem.builder()
                .put(put -> {
                    put.tableName(calls.table())
                            .item(TableItems.sharedActivationItem(fleet, next))
                            .conditionExpression(stillReplaced.text())
                            .expressionAttributeNames(stillReplaced.names());
                    replaced.ifPresent(id -> put.expressionAttributeValues(Map.of(":replaced", TableItems.s(id))));
                })
                .build();
        TransactWriteItem remember = TransactWriteItem.builder()
                .put(put -> put.tableName(calls.table()).item(TableItems.activationItem(record)))
                .build();
        TransactWriteItem releaseLease = TransactWriteItem.builder()
                .delete(delete -> delete.tableName(calls.table()).key(TableItems.installLeaseKey(fleet)))
                .build();
        return calls.transact(List.of(install, remember, releaseLease)).isEmpty();
    }

    @Override
    public boolean activationRecorded(String activationId) {
        return calls.exists(TableItems.activationKey(activationId));
    }
}
