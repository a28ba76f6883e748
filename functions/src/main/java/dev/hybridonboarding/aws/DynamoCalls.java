package dev.hybridonboarding.aws;

import dev.hybridonboarding.support.DependencyUnavailableException;
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
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/** How the stores call the table: failures sorted into decided and try-again-later, reads and transactions retried as DynamoDB asks. */
public final class DynamoCalls {

    /**
     * DynamoDB cancels a transaction that touches an item another transaction is writing. Every enrollment of a
     * token writes the token, so a boot storm conflicts; the losers try again after a short, random pause.
     */
    private static final int CONFLICT_ATTEMPTS = 4;

    private static final int BATCH_ATTEMPTS = 3;
    static final String CONDITION_FAILED = "ConditionalCheckFailed";

    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoCalls(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    DynamoDbClient client() {
        return dynamo;
    }

    String table() {
        return table;
    }

    /** Runs one DynamoDB call, turning throttling and outages into {@link DependencyUnavailableException}. */
    static <T> T call(String operation, Supplier<T> request) {
        try {
            return request.get();
        } catch (TransactionCanceledException | ConditionalCheckFailedException decided) {
            throw decided;
        } catch (DynamoDbException e) {
            if (AwsErrors.isTransient(e)) {
                throw new DependencyUnavailableException(operation + ": " + AwsErrors.describe(e), e);
            }
            throw new IllegalStateException(operation + " failed: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new DependencyUnavailableException(operation + ": " + e.getMessage(), e);
        }
    }

    /** A consistent read of one item. */
    Optional<Map<String, AttributeValue>> get(Map<String, AttributeValue> key) {
        Map<String, AttributeValue> item = call(
                "GetItem",
                () -> dynamo.getItem(
                                request -> request.tableName(table).key(key).consistentRead(true))
                        .item());
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item);
    }

    boolean exists(Map<String, AttributeValue> key) {
        Expression pk = Expression.of("%s", Attr.PK);
        Map<String, AttributeValue> item = call(
                "GetItem",
                () -> dynamo.getItem(request -> request.tableName(table)
                                .key(key)
                                .consistentRead(true)
                                .projectionExpression(pk.text())
                                .expressionAttributeNames(pk.names()))
                        .item());
        return item != null && !item.isEmpty();
    }

    /**
     * One BatchGetItem of consistent reads, asked again for the keys it leaves unprocessed under load. Unlike
     * TransactGetItems it is not cancelled by transactions in flight on the same items.
     *
     * @return the items found, by the names the keys were given
     */
    <N> Map<N, Map<String, AttributeValue>> batchGet(Map<N, Map<String, AttributeValue>> keys) {
        Map<Map<String, AttributeValue>, N> names = new HashMap<>();
        keys.forEach((name, key) -> names.put(key, name));
        Map<N, Map<String, AttributeValue>> found = new HashMap<>();
        List<Map<String, AttributeValue>> pending = new ArrayList<>(keys.values());
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            if (attempt > BATCH_ATTEMPTS) {
                throw new DependencyUnavailableException(
                        "BatchGetItem left keys unprocessed " + BATCH_ATTEMPTS + " times", null);
            }
            List<Map<String, AttributeValue>> ask = pending;
            BatchGetItemResponse response = call(
                    "BatchGetItem",
                    () -> dynamo.batchGetItem(request -> request.requestItems(Map.of(
                            table,
                            KeysAndAttributes.builder()
                                    .keys(ask)
                                    .consistentRead(true)
                                    .build()))));
            for (Map<String, AttributeValue> item : response.responses().getOrDefault(table, List.of())) {
                found.put(names.get(TableItems.keyOf(item)), item);
            }
            KeysAndAttributes unprocessed = response.unprocessedKeys().get(table);
            pending = unprocessed == null ? List.of() : unprocessed.keys();
            if (!pending.isEmpty()) {
                pause(attempt);
            }
        }
        return found;
    }

    /**
     * A transaction, asked again while DynamoDB cancels it only because another one touched the same items.
     *
     * @return empty when it was applied; otherwise the cancellation reasons, one per write, in the writes' order
     * @throws DependencyUnavailableException when still conflicting after the retries, or cancelled for a reason
     *                                        other than a condition
     */
    Optional<List<CancellationReason>> transact(List<TransactWriteItem> writes) {
        for (int attempt = 1; ; attempt++) {
            try {
                call("TransactWriteItems", () -> dynamo.transactWriteItems(request -> request.transactItems(writes)));
                return Optional.empty();
            } catch (TransactionCanceledException cancelled) {
                List<CancellationReason> reasons =
                        cancelled.hasCancellationReasons() ? cancelled.cancellationReasons() : List.of();
                if (reasons.stream().anyMatch(reason -> CONDITION_FAILED.equals(reason.code()))) {
                    return Optional.of(reasons);
                }
                boolean conflict = reasons.stream().anyMatch(reason -> "TransactionConflict".equals(reason.code()));
                if (!conflict || attempt == CONFLICT_ATTEMPTS) {
                    throw new DependencyUnavailableException(
                            "TransactWriteItems cancelled: "
                                    + reasons.stream()
                                            .map(CancellationReason::code)
                                            .toList(),
                            cancelled);
                }
                pause(attempt);
            }
        }
    }

    /** Jittered backoff of about 25, 50, 100 ms between attempts. */
    private static void pause(int attempt) {
        long base = 25L << Math.min(attempt - 1, 4);
        try {
            Thread.sleep(base / 2 + ThreadLocalRandom.current().nextLong(base));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new DependencyUnavailableException("interrupted while backing off", interrupted);
        }
    }
}
