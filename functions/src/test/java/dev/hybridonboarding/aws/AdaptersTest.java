package dev.hybridonboarding.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.enrollment.CommitResult;
import dev.hybridonboarding.enrollment.EnrollmentCommit;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.support.DependencyUnavailableException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InvalidActivationException;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** Failure mapping of the AWS adapters, for errors the emulator does not produce on its own. */
class AdaptersTest {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

    private static <E extends software.amazon.awssdk.awscore.exception.AwsServiceException.Builder> E error(
            E builder, String code, int status) {
        builder.awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode(code)
                        .errorMessage(code + " happened")
                        .build())
                .statusCode(status);
        return builder;
    }

    @SuppressWarnings("unchecked")
    @Test
    void ssmThrottlingAndOutagesAreTransientAndOtherErrorsAreRejections() {
        SsmClient ssm = mock(SsmClient.class);
        SsmActivations activations = new SsmActivations(() -> ssm);
        ActivationSpec spec = new ActivationSpec("Role", 1, NOW, "web", "d", Map.of());

        when(ssm.createActivation(any(Consumer.class))).thenThrow((SsmException)
                error(SsmException.builder(), "ThrottlingException", 400).build());
        assertThatThrownBy(() -> activations.create(spec)).isInstanceOf(DependencyUnavailableException.class);

        org.mockito.Mockito.reset(ssm);
        when(ssm.createActivation(any(Consumer.class))).thenThrow((SsmException)
                error(SsmException.builder(), "InternalServerError", 500).build());
        assertThatThrownBy(() -> activations.create(spec)).isInstanceOf(DependencyUnavailableException.class);

        org.mockito.Mockito.reset(ssm);
        when(ssm.createActivation(any(Consumer.class))).thenThrow(SdkClientException.create("connection reset"));
        assertThatThrownBy(() -> activations.create(spec)).isInstanceOf(DependencyUnavailableException.class);

        org.mockito.Mockito.reset(ssm);
        when(ssm.createActivation(any(Consumer.class))).thenThrow((SsmException)
                error(SsmException.builder(), "ValidationException", 400).build());
        assertThatThrownBy(() -> activations.create(spec))
                .isInstanceOf(ActivationRejectedException.class)
                .hasMessageContaining("ValidationException");
    }

    @SuppressWarnings("unchecked")
    @Test
    void deletingAnActivationThatIsGoneIsFine() {
        SsmClient ssm = mock(SsmClient.class);
        when(ssm.deleteActivation(any(Consumer.class)))
                .thenThrow(InvalidActivationException.builder().message("gone").build());

        new SsmActivations(() -> ssm).delete("11111111-2222-3333-4444-555555555555");
    }

    @SuppressWarnings("unchecked")
    @Test
    void kmsThrottlingIsTransientAndABrokenCiphertextIsNot() {
        KmsClient kms = mock(KmsClient.class);
        KmsCodeVault vault = new KmsCodeVault(() -> kms, "key");
        when(kms.decrypt(any(Consumer.class))).thenThrow((KmsException)
                error(KmsException.builder(), "ThrottlingException", 400).build());
        assertThatThrownBy(() -> vault.open(new byte[] {1}, "edge", "act"))
                .isInstanceOf(DependencyUnavailableException.class);

        org.mockito.Mockito.reset(kms);
        when(kms.decrypt(any(Consumer.class))).thenThrow((KmsException)
                error(KmsException.builder(), "InvalidCiphertextException", 400).build());
        assertThatThrownBy(() -> vault.open(new byte[] {1}, "edge", "act"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageNotContaining("act-code");
    }

    private static EnrollmentRecord record(Optional<String> machineId) {
        return new EnrollmentRecord(
                "enr-1",
                "tok",
                "edge",
                FleetMode.SHARED,
                new Requester("198.51.100.7", null),
                new EnrollmentRequest("web-01", Platform.LINUX, machineId, Map.of()),
                Map.of(),
                "act-1",
                NOW,
                NOW);
    }

    private static EnrollmentCommit commit() {
        return EnrollmentCommit.sharedHandout("tok", record(Optional.empty()), Optional.empty(), "act-1", NOW, NOW);
    }

    private static EnrollmentCommit commitWithRetryRecord() {
        return EnrollmentCommit.sharedHandout(
                "tok",
                record(Optional.of("m-1")),
                Optional.of(new EnrollmentCommit.RetryWrite(
                        new RetryRecord(
                                "m-1",
                                "enr-1",
                                "act-1",
                                new byte[] {1},
                                RetryRecord.CodeSealing.VAULT,
                                NOW,
                                "web-01",
                                "digest"),
                        Optional.empty())),
                "act-1",
                NOW,
                NOW);
    }

    private static TransactionCanceledException cancelled(String... codes) {
        return TransactionCanceledException.builder()
                .cancellationReasons(java.util.Arrays.stream(codes)
                        .map(code -> CancellationReason.builder().code(code).build())
                        .toList())
                .build();
    }

    @Test
    void aFailedConditionNamesWhatWasSpent() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoEnrollmentStore store = new DynamoEnrollmentStore(dynamo, "table");

        Map<String, AttributeValue> usedUp = new java.util.HashMap<>();
        usedUp.put(Attr.REVOKED.attribute(), AttributeValue.fromBool(false));
        usedUp.put(Attr.EXPIRES_AT.attribute(), TableItems.epoch(NOW.plusSeconds(3600)));
        when(dynamo.transactWriteItems(any(Consumer.class)))
                .thenThrow(TransactionCanceledException.builder()
                        .cancellationReasons(
                                CancellationReason.builder()
                                        .code("ConditionalCheckFailed")
                                        .item(usedUp)
                                        .build(),
                                CancellationReason.builder().code("None").build(),
                                CancellationReason.builder().code("None").build())
                        .build());
        assertThat(store.commit(commit())).isEqualTo(CommitResult.TOKEN_SPENT);

        org.mockito.Mockito.reset(dynamo);
        when(dynamo.transactWriteItems(any(Consumer.class)))
                .thenThrow(cancelled("None", "None", "ConditionalCheckFailed"));
        assertThat(store.commit(commit())).isEqualTo(CommitResult.SHARED_ACTIVATION_SPENT);
    }

    @SuppressWarnings("unchecked")
    @Test
    void aTransactionCancelledOnlyByConflictsIsAskedAgain() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoEnrollmentStore store = new DynamoEnrollmentStore(dynamo, "table");
        when(dynamo.transactWriteItems(any(Consumer.class)))
                .thenThrow(cancelled("TransactionConflict", "None", "None"))
                .thenReturn(TransactWriteItemsResponse.builder().build());

        store.commit(commit());

        org.mockito.Mockito.verify(dynamo, org.mockito.Mockito.times(2)).transactWriteItems(any(Consumer.class));
    }

    @SuppressWarnings("unchecked")
    @Test
    void conflictsThatDoNotClearAndThrottlingAreTransient() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoEnrollmentStore store = new DynamoEnrollmentStore(dynamo, "table");

        when(dynamo.transactWriteItems(any(Consumer.class)))
                .thenThrow(cancelled("TransactionConflict", "None", "None"));
        assertThatThrownBy(() -> store.commit(commit())).isInstanceOf(DependencyUnavailableException.class);

        when(dynamo.batchGetItem(any(Consumer.class))).thenThrow((DynamoDbException)
                error(DynamoDbException.builder(), "ProvisionedThroughputExceededException", 400)
                        .build());
        assertThatThrownBy(() -> store.load(
                        new EnrollmentStore.SnapshotKey("edge", "tok", Optional.empty(), "198.51.100.7", NOW)))
                .isInstanceOf(DependencyUnavailableException.class);
    }

    @SuppressWarnings("unchecked")
    @Test
    void keysABatchLeavesUnprocessedAreAskedAgain() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoEnrollmentStore store = new DynamoEnrollmentStore(dynamo, "table");
        Map<String, AttributeValue> fleetKey = TableItems.fleetKey("edge");
        when(dynamo.batchGetItem(any(Consumer.class)))
                .thenReturn(BatchGetItemResponse.builder()
                        .responses(Map.of("table", List.of()))
                        .unprocessedKeys(Map.of(
                                "table",
                                KeysAndAttributes.builder().keys(fleetKey).build()))
                        .build())
                .thenReturn(BatchGetItemResponse.builder()
                        .responses(Map.of(
                                "table",
                                List.of(TableItems.fleetItem(
                                        dev.hybridonboarding.fleet.Fleet.withDefaults("edge", FleetMode.SHARED, "Role")
                                                .withVersion(1),
                                        NOW))))
                        .build());

        var snapshot =
                store.load(new EnrollmentStore.SnapshotKey("edge", "tok", Optional.empty(), "198.51.100.7", NOW));

        assertThat(snapshot.storedFleet())
                .hasValueSatisfying(fleet -> assertThat(fleet.name()).isEqualTo("edge"));
        assertThat(snapshot.token()).isEmpty();
        org.mockito.ArgumentCaptor<Consumer<software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest.Builder>>
                asked = org.mockito.ArgumentCaptor.forClass(Consumer.class);
        org.mockito.Mockito.verify(dynamo, org.mockito.Mockito.times(2)).batchGetItem(asked.capture());
        var second = software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest.builder();
        asked.getAllValues().get(1).accept(second);
        assertThat(second.build().requestItems().get("table").keys()).containsExactly(fleetKey);
    }

    @SuppressWarnings("unchecked")
    @Test
    void aConcurrentRequestForTheSameMachineWinsOverTheSpentTokenItAlsoCaused() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoEnrollmentStore store = new DynamoEnrollmentStore(dynamo, "table");
        Map<String, AttributeValue> spent = new java.util.HashMap<>();
        spent.put(Attr.REVOKED.attribute(), AttributeValue.fromBool(false));
        spent.put(Attr.EXPIRES_AT.attribute(), TableItems.epoch(NOW.plusSeconds(3600)));
        when(dynamo.transactWriteItems(any(Consumer.class)))
                .thenThrow(TransactionCanceledException.builder()
                        .cancellationReasons(
                                CancellationReason.builder()
                                        .code("ConditionalCheckFailed")
                                        .item(spent)
                                        .build(),
                                CancellationReason.builder().code("None").build(),
                                CancellationReason.builder()
                                        .code("ConditionalCheckFailed")
                                        .build())
                        .build());

        assertThat(store.commit(commitWithRetryRecord())).isEqualTo(CommitResult.MACHINE_ALREADY_ENROLLED);
    }

    @SuppressWarnings("unchecked")
    @Test
    void aTokenDeletedMeanwhileIsInvalid() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoEnrollmentStore store = new DynamoEnrollmentStore(dynamo, "table");
        when(dynamo.transactWriteItems(any(Consumer.class)))
                .thenThrow(TransactionCanceledException.builder()
                        .cancellationReasons(
                                CancellationReason.builder()
                                        .code("ConditionalCheckFailed")
                                        .build(),
                                CancellationReason.builder().code("None").build())
                        .build());

        assertThat(store.commit(commit())).isEqualTo(CommitResult.TOKEN_INVALIDATED);
    }

    @SuppressWarnings("unchecked")
    @Test
    void aRetriedLeaseRequestThatAlreadyGotThroughFindsItsOwnLease() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoSharedActivationStore store = new DynamoSharedActivationStore(dynamo, "table");
        when(dynamo.putItem(any(Consumer.class)))
                .thenThrow(ConditionalCheckFailedException.builder()
                        .item(Map.of(Attr.OWNER.attribute(), AttributeValue.fromS("me")))
                        .build());

        assertThat(store.acquireLease("edge", "me", NOW, NOW.plusSeconds(30))).isTrue();
        assertThat(store.acquireLease("edge", "someone-else", NOW, NOW.plusSeconds(30)))
                .isFalse();
    }

    @SuppressWarnings("unchecked")
    @Test
    void failedAttemptsAreCountedWithPlainAtomicUpdates() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        new DynamoEnrollmentStore(dynamo, "table")
                .recordFailure("198.51.100.7", Optional.of("tok"), NOW, NOW.plusSeconds(300));

        org.mockito.Mockito.verify(dynamo, org.mockito.Mockito.times(2)).updateItem(any(Consumer.class));
        org.mockito.Mockito.verify(dynamo, org.mockito.Mockito.never()).transactWriteItems(any(Consumer.class));
    }

    @Test
    void aTokenRevokedOrExpiredMeanwhileIsToldApartFromAUsedUpOne() {
        DynamoDbClient dynamo = mock(DynamoDbClient.class);
        DynamoEnrollmentStore store = new DynamoEnrollmentStore(dynamo, "table");
        Map<String, AttributeValue> revoked = new java.util.HashMap<>();
        revoked.put(Attr.REVOKED.attribute(), AttributeValue.fromBool(true));
        revoked.put(Attr.EXPIRES_AT.attribute(), TableItems.epoch(NOW.plusSeconds(3600)));
        when(dynamo.transactWriteItems(any(Consumer.class)))
                .thenThrow(TransactionCanceledException.builder()
                        .cancellationReasons(
                                CancellationReason.builder()
                                        .code("ConditionalCheckFailed")
                                        .item(revoked)
                                        .build(),
                                CancellationReason.builder().code("None").build())
                        .build());

        assertThat(store.commit(commit())).isEqualTo(CommitResult.TOKEN_INVALIDATED);
    }
}
