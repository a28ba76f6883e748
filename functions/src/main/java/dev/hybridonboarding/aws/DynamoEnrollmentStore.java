package dev.hybridonboarding.aws;

import static dev.hybridonboarding.aws.Attr.ACTIVATION_ID;
import static dev.hybridonboarding.aws.Attr.COUNT;
import static dev.hybridonboarding.aws.Attr.ENABLED;
import static dev.hybridonboarding.aws.Attr.EXPIRES_AT;
import static dev.hybridonboarding.aws.Attr.HANDED_OUT;
import static dev.hybridonboarding.aws.Attr.LAST_USED_AT;
import static dev.hybridonboarding.aws.Attr.MAX_USES;
import static dev.hybridonboarding.aws.Attr.PK;
import static dev.hybridonboarding.aws.Attr.REGISTRATION_LIMIT;
import static dev.hybridonboarding.aws.Attr.REVOKED;
import static dev.hybridonboarding.aws.Attr.TTL;
import static dev.hybridonboarding.aws.Attr.USES;

import dev.hybridonboarding.enrollment.CommitResult;
import dev.hybridonboarding.enrollment.EnrollmentCommit;
import dev.hybridonboarding.enrollment.EnrollmentSnapshot;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/** The enrollment store on one DynamoDB table; see {@link TableItems} for the layout. */
public final class DynamoEnrollmentStore implements EnrollmentStore {

    private static final AttributeValue ONE = TableItems.n(1);

    private enum Read {
        TOKEN,
        FLEET,
        SHARED,
        RETRY,
        SOURCE_FAILURES,
        TOKEN_FAILURES
    }

    /** One write of the commit, and what its condition failing means. */
    private record ConditionalWrite(TransactWriteItem write, CommitResult ifRefused) {}

    private final DynamoCalls calls;

    public DynamoEnrollmentStore(DynamoCalls calls) {
        this.calls = calls;
    }

    public DynamoEnrollmentStore(DynamoDbClient dynamo, String table) {
        this(new DynamoCalls(dynamo, table));
    }

    @Override
    public EnrollmentSnapshot load(SnapshotKey key) {
        Map<Read, Map<String, AttributeValue>> keys = new HashMap<>();
        keys.put(Read.TOKEN, TableItems.tokenKey(key.tokenId()));
        keys.put(Read.FLEET, TableItems.fleetKey(key.fleet()));
        keys.put(Read.SHARED, TableItems.sharedActivationKey(key.fleet()));
        keys.put(Read.SOURCE_FAILURES, TableItems.sourceFailuresKey(key.failureSource(), key.failureWindow()));
        keys.put(Read.TOKEN_FAILURES, TableItems.tokenFailuresKey(key.tokenId(), key.failureWindow()));
        key.machineId().ifPresent(machineId -> keys.put(Read.RETRY, TableItems.retryKey(key.tokenId(), machineId)));
        Map<Read, Map<String, AttributeValue>> items = calls.batchGet(keys);
        return new EnrollmentSnapshot(
                Optional.ofNullable(items.get(Read.TOKEN)).map(TableItems::token),
                Optional.ofNullable(items.get(Read.FLEET)).map(TableItems::fleet),
                Optional.ofNullable(items.get(Read.SHARED)).map(TableItems::sharedActivation),
                Optional.ofNullable(items.get(Read.RETRY)).map(TableItems::retry),
                Optional.ofNullable(items.get(Read.SOURCE_FAILURES))
                        .map(item -> TableItems.readInt(COUNT.in(item)))
                        .orElse(0),
                Optional.ofNullable(items.get(Read.TOKEN_FAILURES))
                        .map(item -> TableItems.readInt(COUNT.in(item)))
                        .orElse(0));
    }

    /** Two atomic counter updates, not a transaction: guesses arriving together must not cancel each other. */
    @Override
    public void recordFailure(
            String failureSource, Optional<String> tokenId, Instant failureWindow, Instant expiresAt) {
        countFailure(TableItems.sourceFailuresKey(failureSource, failureWindow), expiresAt);
        tokenId.ifPresent(id -> countFailure(TableItems.tokenFailuresKey(id, failureWindow), expiresAt));
    }

    @Override
    public CommitResult commit(EnrollmentCommit commit) {
        List<ConditionalWrite> writes = new ArrayList<>();
        writes.add(spendTokenUse(commit));
        writes.add(recordEnrollment(commit));
        commit.retry().ifPresent(retry -> writes.add(rememberForRetries(commit, retry)));
        writes.add(useActivation(commit));
        writes.add(fleetStillEnabled(commit));
        Optional<List<CancellationReason>> refused =
                calls.transact(writes.stream().map(ConditionalWrite::write).toList());
        return refused.map(reasons -> refusal(writes, reasons, commit.now())).orElse(CommitResult.COMMITTED);
    }

    @Override
    public boolean enrollmentRecorded(String enrollmentId) {
        return calls.exists(TableItems.enrollmentKey(enrollmentId));
    }

    private ConditionalWrite spendTokenUse(EnrollmentCommit commit) {
        Expression update = Expression.of("SET %s = %s + :one, %s = :now", USES, USES, LAST_USED_AT);
        Expression condition = Expression.of(
                "attribute_exists(%s) AND %s < %s AND %s = :false AND %s > :nowEpoch",
                PK, USES, MAX_USES, REVOKED, EXPIRES_AT);
        return new ConditionalWrite(
                TransactWriteItem.builder()
                        .update(u -> u.tableName(calls.table())
                                .key(TableItems.tokenKey(commit.tokenId()))
                                .updateExpression(update.text())
                                .conditionExpression(condition.text())
                                .expressionAttributeNames(update.namesWith(condition))
                                .expressionAttributeValues(Map.of(
                                        ":one", ONE,
                                        ":now", TableItems.s(commit.now().toString()),
                                        ":false", AttributeValue.fromBool(false),
                                        ":nowEpoch", TableItems.epoch(commit.now())))
                                // The old token tells a used-up token (403) from one revoked or expired meanwhile
                                // (401).
                                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD))
                        .build(),
                CommitResult.TOKEN_SPENT);
    }

    private ConditionalWrite recordEnrollment(EnrollmentCommit commit) {
        Expression condition = Expression.of("attribute_not_exists(%s)", PK);
        return new ConditionalWrite(
                TransactWriteItem.builder()
                        .put(p -> p.tableName(calls.table())
                                .item(TableItems.enrollmentItem(commit.enrollment()))
                                .conditionExpression(condition.text())
                                .expressionAttributeNames(condition.names()))
                        .build(),
                CommitResult.MACHINE_ALREADY_ENROLLED);
    }

    /** A retry record may replace one whose activation can no longer register the machine, never a live one. */
    private ConditionalWrite rememberForRetries(EnrollmentCommit commit, EnrollmentCommit.RetryWrite retry) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":deadline", TableItems.epoch(commit.handoutDeadline()));
        Expression condition = retry.replacesActivationId().isPresent()
                ? Expression.of(
                        "attribute_not_exists(%s) OR %s <= :deadline OR %s = :replaced", PK, EXPIRES_AT, ACTIVATION_ID)
                : Expression.of("attribute_not_exists(%s) OR %s <= :deadline", PK, EXPIRES_AT);
        retry.replacesActivationId().ifPresent(replaced -> values.put(":replaced", TableItems.s(replaced)));
        return new ConditionalWrite(
                TransactWriteItem.builder()
                        .put(p -> p.tableName(calls.table())
                                .item(TableItems.retryItem(commit.tokenId(), retry.record()))
                                .conditionExpression(condition.text())
                                .expressionAttributeNames(condition.names())
                                .expressionAttributeValues(values))
                        .build(),
                CommitResult.MACHINE_ALREADY_ENROLLED);
    }

    private ConditionalWrite useActivation(EnrollmentCommit commit) {
        if (commit.use() instanceof EnrollmentCommit.NewSingleUseActivation single) {
            return new ConditionalWrite(
                    TransactWriteItem.builder()
                            .put(p -> p.tableName(calls.table()).item(TableItems.activationItem(single.record())))
                            .build(),
                    CommitResult.TOKEN_SPENT);
        }
        EnrollmentCommit.SharedHandout handout = (EnrollmentCommit.SharedHandout) commit.use();
        Expression update = Expression.of("SET %s = %s + :one", HANDED_OUT, HANDED_OUT);
        Expression condition = Expression.of(
                "%s = :activationId AND %s < %s AND %s > :deadline",
                ACTIVATION_ID, HANDED_OUT, REGISTRATION_LIMIT, EXPIRES_AT);
        return new ConditionalWrite(
                TransactWriteItem.builder()
                        .update(u -> u.tableName(calls.table())
                                .key(TableItems.sharedActivationKey(
                                        commit.enrollment().fleet()))
                                .updateExpression(update.text())
                                .conditionExpression(condition.text())
                                .expressionAttributeNames(update.namesWith(condition))
                                .expressionAttributeValues(Map.of(
                                        ":one", ONE,
                                        ":activationId", TableItems.s(handout.activationId()),
                                        ":deadline", TableItems.epoch(commit.handoutDeadline()))))
                        .build(),
                CommitResult.SHARED_ACTIVATION_SPENT);
    }

    /** The template's default fleet is not stored until an administrator changes it, and is enabled until then. */
    private ConditionalWrite fleetStillEnabled(EnrollmentCommit commit) {
        Expression enabled = Expression.of("attribute_not_exists(%s) OR %s = :true", PK, ENABLED);
        return new ConditionalWrite(
                TransactWriteItem.builder()
                        .conditionCheck(check -> check.tableName(calls.table())
                                .key(TableItems.fleetKey(commit.enrollment().fleet()))
                                .conditionExpression(enabled.text())
                                .expressionAttributeNames(enabled.names())
                                .expressionAttributeValues(Map.of(":true", AttributeValue.fromBool(true))))
                        .build(),
                CommitResult.FLEET_DISABLED);
    }

    private static CommitResult refusal(List<ConditionalWrite> writes, List<CancellationReason> reasons, Instant now) {
        List<CommitResult> failed = new ArrayList<>();
        for (int i = 0; i < reasons.size() && i < writes.size(); i++) {
            if (DynamoCalls.CONDITION_FAILED.equals(reasons.get(i).code())) {
                failed.add(writes.get(i).ifRefused());
            }
        }
        // A concurrent request for the same machine may also have spent the token's last use: the machine gets
        // that request's activation, not a refusal.
        if (failed.contains(CommitResult.MACHINE_ALREADY_ENROLLED)) {
            return CommitResult.MACHINE_ALREADY_ENROLLED;
        }
        if (failed.contains(CommitResult.FLEET_DISABLED)) {
            return CommitResult.FLEET_DISABLED;
        }
        CancellationReason token = reasons.get(0);
        if (DynamoCalls.CONDITION_FAILED.equals(token.code()) && invalidated(token, now)) {
            return CommitResult.TOKEN_INVALIDATED;
        }
        return failed.get(0);
    }

    /** The token's condition failed because it is gone, revoked or expired, not because its uses ran out. */
    private static boolean invalidated(CancellationReason tokenReason, Instant now) {
        if (!tokenReason.hasItem() || tokenReason.item().isEmpty()) {
            return true;
        }
        Map<String, AttributeValue> token = tokenReason.item();
        boolean revoked = REVOKED.in(token) != null
                && Boolean.TRUE.equals(REVOKED.in(token).bool());
        AttributeValue expiresAt = EXPIRES_AT.in(token);
        return revoked || expiresAt == null || !TableItems.readEpoch(expiresAt).isAfter(now);
    }

    private void countFailure(Map<String, AttributeValue> key, Instant expiresAt) {
        Expression update = Expression.of("ADD %s :one SET %s = :ttl", COUNT, TTL);
        DynamoCalls.call(
                "UpdateItem",
                () -> calls.client()
                        .updateItem(u -> u.tableName(calls.table())
                                .key(key)
                                .updateExpression(update.text())
                                .expressionAttributeNames(update.names())
                                .expressionAttributeValues(Map.of(":one", ONE, ":ttl", TableItems.epoch(expiresAt)))));
    }
}
