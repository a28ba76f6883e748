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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/** The enrollment store on one DynamoDB table; see {@link TableItems} for the layout. */
public final class DynamoEnrollmentStore implements EnrollmentStore {

    private static final AttributeValue ONE = TableItems.n(1);
    /**
     * DynamoDB cancels a transaction that touches an item another transaction is writing. Every enrollment of a
     * token writes the token, so a boot storm conflicts; the losers try again after a short, random pause.
     */
    private static final int CONFLICT_ATTEMPTS = 4;
    private static final int BATCH_ATTEMPTS = 3;

    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoEnrollmentStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /**
     * One BatchGetItem with consistent reads. Unlike TransactGetItems it is not cancelled by transactions in
     * flight on the same items; the commit's conditions check again whatever the decision relied on.
     */
    @Override
    public EnrollmentSnapshot load(SnapshotKey key) {
        Map<String, Map<String, AttributeValue>> keys = new HashMap<>();
        keys.put("token", TableItems.tokenKey(key.tokenId()));
        keys.put("fleet", TableItems.fleetKey(key.fleet()));
        keys.put("shared", TableItems.sharedActivationKey(key.fleet()));
        keys.put("sourceFailures", TableItems.sourceFailuresKey(key.sourceIp(), key.failureWindow()));
        keys.put("tokenFailures", TableItems.tokenFailuresKey(key.tokenId(), key.failureWindow()));
        key.machineId().ifPresent(machineId -> keys.put("retry", TableItems.retryKey(key.tokenId(), machineId)));
        Map<String, Map<String, AttributeValue>> items = batchGet(keys);
        return new EnrollmentSnapshot(
                Optional.ofNullable(items.get("token")).map(TableItems::token),
                Optional.ofNullable(items.get("fleet")).map(TableItems::fleet),
                Optional.ofNullable(items.get("shared")).map(TableItems::sharedActivation),
                Optional.ofNullable(items.get("retry")).map(TableItems::retry),
                Optional.ofNullable(items.get("sourceFailures")).map(DynamoEnrollmentStore::count).orElse(0),
                Optional.ofNullable(items.get("tokenFailures")).map(DynamoEnrollmentStore::count).orElse(0));
    }

    /** Two atomic counter updates, not a transaction: guesses arriving together must not cancel each other. */
    @Override
    public void recordFailure(String sourceIp, Optional<String> tokenId, Instant failureWindow, Instant expiresAt) {
        countFailure(TableItems.sourceFailuresKey(sourceIp, failureWindow), expiresAt);
        tokenId.ifPresent(id -> countFailure(TableItems.tokenFailuresKey(id, failureWindow), expiresAt));
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
                        ":nowEpoch", TableItems.epoch(commit.now())))
                // The old token tells a used-up token (403) from one revoked or expired meanwhile (401).
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)).build());
        reasonIfFailed.add(CommitRejectedException.Reason.TOKEN_SPENT);

        writes.add(TransactWriteItem.builder().put(put -> put
                .tableName(table)
                .item(TableItems.enrollmentItem(commit.enrollment()))
                .conditionExpression("attribute_not_exists(pk)")).build());
        reasonIfFailed.add(CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED);

        commit.retryRecord().ifPresent(retry -> {
            Map<String, AttributeValue> values = new HashMap<>();
            values.put(":deadline", TableItems.epoch(commit.handoutDeadline()));
            String condition = "attribute_not_exists(pk) OR expiresAt <= :deadline";
            if (commit.replacedRetryActivationId().isPresent()) {
                condition += " OR activationId = :replaced";
                values.put(":replaced", TableItems.s(commit.replacedRetryActivationId().get()));
            }
            String retryCondition = condition;
            writes.add(TransactWriteItem.builder().put(put -> put
                    .tableName(table)
                    .item(TableItems.retryItem(commit.tokenId(), retry))
                    .conditionExpression(retryCondition)
                    .expressionAttributeValues(values)).build());
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
            transact("TransactWriteItems", writes);
        } catch (TransactionCanceledException cancelled) {
            throw new CommitRejectedException(firstFailedCondition(cancelled, reasonIfFailed, commit.now()));
        }
    }

    @Override
    public boolean acquireInstallLease(String fleet, String owner, Instant now, Instant until) {
        Map<String, AttributeValue> lease = TableItems.installLeaseKey(fleet);
        lease.put("owner", TableItems.s(owner));
        lease.put("leaseUntil", TableItems.epoch(until));
        lease.put(TableItems.TTL, TableItems.epoch(until.plusSeconds(3600)));
        try {
            call("PutItem", () -> dynamo.putItem(request -> request
                    .tableName(table)
                    .item(lease)
                    .conditionExpression("attribute_not_exists(pk) OR leaseUntil < :now")
                    .expressionAttributeValues(Map.of(":now", TableItems.epoch(now)))
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)));
            return true;
        } catch (ConditionalCheckFailedException held) {
            // A retried PutItem whose first attempt got through finds its own lease.
            AttributeValue holder = held.hasItem() ? held.item().get("owner") : null;
            return holder != null && owner.equals(holder.s());
        }
    }

    @Override
    public void releaseInstallLease(String fleet) {
        call("DeleteItem", () -> dynamo.deleteItem(request -> request.tableName(table).key(TableItems.installLeaseKey(fleet))));
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
        TransactWriteItem releaseLease = TransactWriteItem.builder().delete(delete -> delete
                .tableName(table)
                .key(TableItems.installLeaseKey(fleet))).build();
        try {
            transact("TransactWriteItems", List.of(install, remember, releaseLease));
            return true;
        } catch (TransactionCanceledException cancelled) {
            if (hasConditionFailure(cancelled)) {
                return false;
            }
            throw new StoreUnavailableException("TransactWriteItems cancelled: " + reasons(cancelled), cancelled);
        }
    }

    @Override
    public boolean enrollmentRecorded(String enrollmentId) {
        return exists(TableItems.enrollmentKey(enrollmentId));
    }

    @Override
    public boolean activationRecorded(String activationId) {
        return exists(TableItems.activationKey(activationId));
    }

    private boolean exists(Map<String, AttributeValue> key) {
        Map<String, AttributeValue> item = call("GetItem", () -> dynamo.getItem(request -> request
                .tableName(table)
                .key(key)
                .consistentRead(true)
                .projectionExpression("pk")).item());
        return item != null && !item.isEmpty();
    }

    @Override
    public Optional<SharedActivation> sharedActivation(String fleet) {
        Map<String, AttributeValue> item = call("GetItem", () -> dynamo.getItem(request -> request
                .tableName(table)
                .key(TableItems.sharedActivationKey(fleet))
                .consistentRead(true)).item());
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(TableItems.sharedActivation(item));
    }

    /** BatchGetItem until every key is answered; keys it leaves unprocessed under load are asked again. */
    private Map<String, Map<String, AttributeValue>> batchGet(Map<String, Map<String, AttributeValue>> keys) {
        Map<Map<String, AttributeValue>, String> names = new HashMap<>();
        keys.forEach((name, key) -> names.put(key, name));
        Map<String, Map<String, AttributeValue>> found = new HashMap<>();
        List<Map<String, AttributeValue>> pending = new ArrayList<>(keys.values());
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            if (attempt > BATCH_ATTEMPTS) {
                throw new StoreUnavailableException("BatchGetItem left keys unprocessed " + BATCH_ATTEMPTS + " times", null);
            }
            List<Map<String, AttributeValue>> ask = pending;
            BatchGetItemResponse response = call("BatchGetItem", () -> dynamo.batchGetItem(request -> request.requestItems(
                    Map.of(table, KeysAndAttributes.builder().keys(ask).consistentRead(true).build()))));
            for (Map<String, AttributeValue> item : response.responses().getOrDefault(table, List.of())) {
                Map<String, AttributeValue> key = Map.of(TableItems.PK, item.get(TableItems.PK), TableItems.SK, item.get(TableItems.SK));
                found.put(names.get(key), item);
            }
            KeysAndAttributes unprocessed = response.unprocessedKeys().get(table);
            pending = unprocessed == null ? List.of() : unprocessed.keys();
            if (!pending.isEmpty()) {
                pause(attempt);
            }
        }
        return found;
    }

    /** A transaction, asked again while DynamoDB cancels it only because another one touched the same items. */
    private void transact(String operation, List<TransactWriteItem> writes) {
        for (int attempt = 1; ; attempt++) {
            try {
                call(operation, () -> dynamo.transactWriteItems(request -> request.transactItems(writes)));
                return;
            } catch (TransactionCanceledException cancelled) {
                if (!onlyConflicts(cancelled) || attempt == CONFLICT_ATTEMPTS) {
                    throw cancelled;
                }
                pause(attempt);
            }
        }
    }

    private void countFailure(Map<String, AttributeValue> key, Instant expiresAt) {
        call("UpdateItem", () -> dynamo.updateItem(update -> update
                .tableName(table)
                .key(key)
                .updateExpression("ADD #count :one SET #ttl = :ttl")
                .expressionAttributeNames(Map.of("#count", "count", "#ttl", TableItems.TTL))
                .expressionAttributeValues(Map.of(":one", ONE, ":ttl", TableItems.epoch(expiresAt)))));
    }

    private static int count(Map<String, AttributeValue> item) {
        AttributeValue count = item.get("count");
        return count == null ? 0 : Integer.parseInt(count.n());
    }

    private static CommitRejectedException.Reason firstFailedCondition(TransactionCanceledException cancelled,
                                                                       List<CommitRejectedException.Reason> reasonIfFailed,
                                                                       Instant now) {
        List<CancellationReason> reasons = cancelled.hasCancellationReasons() ? cancelled.cancellationReasons() : List.of();
        List<CommitRejectedException.Reason> failed = new ArrayList<>();
        for (int i = 0; i < reasons.size() && i < reasonIfFailed.size(); i++) {
            if ("ConditionalCheckFailed".equals(reasons.get(i).code())) {
                failed.add(reasonIfFailed.get(i));
            }
        }
        // A concurrent request for the same machine may also have spent the token's last use: the machine gets
        // that request's activation, not a refusal.
        if (failed.contains(CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED)) {
            return CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED;
        }
        if (!failed.isEmpty()) {
            CancellationReason token = reasons.get(0);
            if ("ConditionalCheckFailed".equals(token.code()) && invalidated(token, now)) {
                return CommitRejectedException.Reason.TOKEN_INVALIDATED;
            }
            return failed.get(0);
        }
        // Still conflicting after the retries, or cancelled for another reason: the caller may try again later.
        throw new StoreUnavailableException("TransactWriteItems cancelled: " + reasons(cancelled), cancelled);
    }

    /** The token's condition failed because it is gone, revoked or expired, not because its uses ran out. */
    private static boolean invalidated(CancellationReason tokenReason, Instant now) {
        if (!tokenReason.hasItem() || tokenReason.item().isEmpty()) {
            return true;
        }
        Map<String, AttributeValue> token = tokenReason.item();
        boolean revoked = token.get("revoked") != null && Boolean.TRUE.equals(token.get("revoked").bool());
        AttributeValue expiresAt = token.get("expiresAt");
        return revoked || expiresAt == null || !TableItems.readEpoch(expiresAt).isAfter(now);
    }

    private static boolean onlyConflicts(TransactionCanceledException cancelled) {
        return cancelled.hasCancellationReasons()
                && cancelled.cancellationReasons().stream().anyMatch(reason -> "TransactionConflict".equals(reason.code()))
                && cancelled.cancellationReasons().stream().noneMatch(reason -> "ConditionalCheckFailed".equals(reason.code()));
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

    /** Jittered backoff of about 25, 50, 100 ms between attempts. */
    private static void pause(int attempt) {
        long base = 25L << Math.min(attempt - 1, 4);
        try {
            Thread.sleep(base / 2 + ThreadLocalRandom.current().nextLong(base));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while backing off", interrupted);
        }
    }

    /** Runs one DynamoDB call, turning throttling and outages into {@link StoreUnavailableException}. */
    private static <T> T call(String operation, Supplier<T> request) {
        try {
            return request.get();
        } catch (TransactionCanceledException | ConditionalCheckFailedException decided) {
            throw decided;
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
