package dev.hybridonboarding.aws;

import dev.hybridonboarding.enrollment.ActivationRecord;
import dev.hybridonboarding.enrollment.CommitRejectedException;
import dev.hybridonboarding.enrollment.EnrollmentCommit;
import dev.hybridonboarding.enrollment.EnrollmentSnapshot;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.enrollment.SharedActivation;
import dev.hybridonboarding.enrollment.StoreUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ItemResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/** The enrollment store on one DynamoDB table; see {@link TableItems} for the layout. */
public final class DynamoEnrollmentStore implements EnrollmentStore {

    private static final AttributeValue ONE = TableItems.n(1);

    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoEnrollmentStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    @Override
    public EnrollmentSnapshot load(SnapshotKey key) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>(List.of(
                TableItems.tokenKey(key.tokenId()),
                TableItems.fleetKey(key.fleet()),
                TableItems.sharedActivationKey(key.fleet()),
                TableItems.sourceFailuresKey(key.sourceIp(), key.failureWindow()),
                TableItems.tokenFailuresKey(key.tokenId(), key.failureWindow())));
        key.machineId().ifPresent(machineId -> keys.add(TableItems.retryKey(key.tokenId(), machineId)));
        List<ItemResponse> items = uncancelled("TransactGetItems", () -> dynamo.transactGetItems(request -> request.transactItems(
                keys.stream().map(k -> TransactGetItem.builder().get(get -> get.tableName(table).key(k)).build()).toList()))
                .responses());
        return new EnrollmentSnapshot(
                item(items, 0).map(TableItems::token),
                item(items, 1).map(TableItems::fleet),
                item(items, 2).map(TableItems::sharedActivation),
                key.machineId().isPresent() ? item(items, 5).map(TableItems::retry) : Optional.empty(),
                item(items, 3).map(DynamoEnrollmentStore::count).orElse(0),
                item(items, 4).map(DynamoEnrollmentStore::count).orElse(0));
    }

    @Override
    public void recordFailure(String sourceIp, Optional<String> tokenId, Instant failureWindow, Instant expiresAt) {
        List<TransactWriteItem> counters = new ArrayList<>();
        counters.add(countFailure(TableItems.sourceFailuresKey(sourceIp, failureWindow), expiresAt));
        tokenId.ifPresent(id -> counters.add(countFailure(TableItems.tokenFailuresKey(id, failureWindow), expiresAt)));
        uncancelled("TransactWriteItems", () -> dynamo.transactWriteItems(request -> request.transactItems(counters)));
    }

    @Override
    public void commit(EnrollmentCommit commit) {
        List<TransactWriteItem> writes = new ArrayList<>();
        List<CommitRejectedException.Reason> reasonIfFailed = new ArrayList<>();

        writes.add(TransactWriteItem.builder().update(update -> update
                .tableName(table)
                .key(TableItems.tokenKey(commit.tokenId()))
                .updateExpression("SET #uses = #uses + :one, lastUsedAt = :now")
                .conditionExpression("attribute_exists(pk) AND #uses < maxUses AND revoked = :false AND expiresAt > :nowEpoch")
                .expressionAttributeNames(Map.of("#uses", "uses"))
                .expressionAttributeValues(Map.of(
                        ":one", ONE,
                        ":now", TableItems.s(commit.now().toString()),
                        ":false", AttributeValue.fromBool(false),
                        ":nowEpoch", TableItems.epoch(commit.now())))).build());
        reasonIfFailed.add(CommitRejectedException.Reason.TOKEN_SPENT);

        writes.add(TransactWriteItem.builder().put(put -> put
                .tableName(table)
                .item(TableItems.enrollmentItem(commit.enrollment()))
                .conditionExpression("attribute_not_exists(pk)")).build());
        reasonIfFailed.add(CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED);

        commit.retryRecord().ifPresent(retry -> {
            writes.add(TransactWriteItem.builder().put(put -> put
                    .tableName(table)
                    .item(TableItems.retryItem(commit.tokenId(), retry))
                    .conditionExpression("attribute_not_exists(pk) OR expiresAt <= :deadline")
                    .expressionAttributeValues(Map.of(":deadline", TableItems.epoch(commit.handoutDeadline())))).build());
            reasonIfFailed.add(CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED);
        });

        commit.singleUseActivation().ifPresent(activation -> {
            writes.add(TransactWriteItem.builder().put(put -> put
                    .tableName(table)
                    .item(TableItems.activationItem(activation))).build());
            reasonIfFailed.add(CommitRejectedException.Reason.TOKEN_SPENT);
        });

        commit.sharedActivationId().ifPresent(activationId -> {
            writes.add(TransactWriteItem.builder().update(update -> update
                    .tableName(table)
                    .key(TableItems.sharedActivationKey(commit.enrollment().fleet()))
                    .updateExpression("SET handedOut = handedOut + :one")
                    .conditionExpression("activationId = :activationId AND handedOut < registrationLimit AND expiresAt > :deadline")
                    .expressionAttributeValues(Map.of(
                            ":one", ONE,
                            ":activationId", TableItems.s(activationId),
                            ":deadline", TableItems.epoch(commit.handoutDeadline())))).build());
            reasonIfFailed.add(CommitRejectedException.Reason.SHARED_ACTIVATION_SPENT);
        });

        try {
            call("TransactWriteItems", () -> dynamo.transactWriteItems(request -> request.transactItems(writes)));
        } catch (TransactionCanceledException cancelled) {
            throw new CommitRejectedException(firstFailedCondition(cancelled, reasonIfFailed));
        }
    }

    @Override
    public boolean installSharedActivation(String fleet, Optional<String> replaced, SharedActivation next, ActivationRecord record) {
        TransactWriteItem install = TransactWriteItem.builder().put(put -> {
            put.tableName(table).item(TableItems.sharedActivationItem(fleet, next));
            if (replaced.isPresent()) {
                put.conditionExpression("activationId = :replaced")
                        .expressionAttributeValues(Map.of(":replaced", TableItems.s(replaced.get())));
            } else {
                put.conditionExpression("attribute_not_exists(pk)");
            }
        }).build();
        TransactWriteItem remember = TransactWriteItem.builder().put(put -> put
                .tableName(table)
                .item(TableItems.activationItem(record))).build();
        try {
            call("TransactWriteItems", () -> dynamo.transactWriteItems(request -> request.transactItems(install, remember)));
            return true;
        } catch (TransactionCanceledException cancelled) {
            if (hasConditionFailure(cancelled)) {
                return false;
            }
            throw new StoreUnavailableException("TransactWriteItems cancelled: " + reasons(cancelled), cancelled);
        }
    }

    @Override
    public Optional<SharedActivation> sharedActivation(String fleet) {
        Map<String, AttributeValue> item = call("GetItem", () -> dynamo.getItem(request -> request
                .tableName(table)
                .key(TableItems.sharedActivationKey(fleet))
                .consistentRead(true)).item());
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(TableItems.sharedActivation(item));
    }

    private TransactWriteItem countFailure(Map<String, AttributeValue> key, Instant expiresAt) {
        return TransactWriteItem.builder().update(update -> update
                .tableName(table)
                .key(key)
                .updateExpression("ADD #count :one SET #ttl = :ttl")
                .expressionAttributeNames(Map.of("#count", "count", "#ttl", TableItems.TTL))
                .expressionAttributeValues(Map.of(":one", ONE, ":ttl", TableItems.epoch(expiresAt)))).build();
    }

    private static int count(Map<String, AttributeValue> item) {
        AttributeValue count = item.get("count");
        return count == null ? 0 : Integer.parseInt(count.n());
    }

    private static Optional<Map<String, AttributeValue>> item(List<ItemResponse> responses, int index) {
        if (index >= responses.size()) {
            return Optional.empty();
        }
        ItemResponse response = responses.get(index);
        return response != null && response.hasItem() && !response.item().isEmpty() ? Optional.of(response.item()) : Optional.empty();
    }

    private static CommitRejectedException.Reason firstFailedCondition(TransactionCanceledException cancelled,
                                                                       List<CommitRejectedException.Reason> reasonIfFailed) {
        List<CancellationReason> reasons = cancelled.hasCancellationReasons() ? cancelled.cancellationReasons() : List.of();
        for (int i = 0; i < reasons.size() && i < reasonIfFailed.size(); i++) {
            if ("ConditionalCheckFailed".equals(reasons.get(i).code())) {
                return reasonIfFailed.get(i);
            }
        }
        // Cancelled for another reason, such as a conflicting concurrent transaction: the caller may retry.
        throw new StoreUnavailableException("TransactWriteItems cancelled: " + reasons(cancelled), cancelled);
    }

    private static boolean hasConditionFailure(TransactionCanceledException cancelled) {
        return cancelled.hasCancellationReasons()
                && cancelled.cancellationReasons().stream().anyMatch(reason -> "ConditionalCheckFailed".equals(reason.code()));
    }

    private static String reasons(TransactionCanceledException cancelled) {
        return cancelled.hasCancellationReasons()
                ? cancelled.cancellationReasons().stream().map(CancellationReason::code).toList().toString()
                : "unknown";
    }

    /** A transaction that has no conditions can only be cancelled by a conflict or throttling: try again later. */
    private static <T> T uncancelled(String operation, Supplier<T> request) {
        try {
            return call(operation, request);
        } catch (TransactionCanceledException cancelled) {
            throw new StoreUnavailableException(operation + " cancelled: " + reasons(cancelled), cancelled);
        }
    }

    /** Runs one DynamoDB call, turning throttling and outages into {@link StoreUnavailableException}. */
    private static <T> T call(String operation, Supplier<T> request) {
        try {
            return request.get();
        } catch (TransactionCanceledException cancelled) {
            throw cancelled;
        } catch (DynamoDbException e) {
            if (AwsErrors.isTransient(e)) {
                throw new StoreUnavailableException(operation + ": " + AwsErrors.describe(e), e);
            }
            throw new IllegalStateException(operation + " failed: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new StoreUnavailableException(operation + ": " + e.getMessage(), e);
        }
    }
}
