package dev.hybridonboarding.aws;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationServiceUnavailableException;
import dev.hybridonboarding.activation.SharedCodeVault;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * Shared activation codes encrypted with the stack's KMS key. The encryption context binds a ciphertext to
 * its fleet and activation, so a ciphertext copied onto another record does not decrypt.
 */
public final class KmsCodeVault implements SharedCodeVault {

    private final Supplier<KmsClient> clients;
    private final String keyId;
    private volatile KmsClient kms;

    /** @param clients builds the client on first use: functions whose fleets are all single-use never need it */
    public KmsCodeVault(Supplier<KmsClient> clients, String keyId) {
        this.clients = clients;
        this.keyId = keyId;
    }

    @Override
    public byte[] seal(ActivationCode code, String fleet, String activationId) {
        try {
            return kms().encrypt(request -> request
                            .keyId(keyId)
                            .plaintext(SdkBytes.fromString(code.reveal(), StandardCharsets.UTF_8))
                            .encryptionContext(context(fleet, activationId)))
                    .ciphertextBlob().asByteArray();
        } catch (KmsException | SdkClientException e) {
            throw failure("Encrypt", e);
        }
    }

    @Override
    public ActivationCode open(byte[] sealed, String fleet, String activationId) {
        try {
            return new ActivationCode(kms().decrypt(request -> request
                            .keyId(keyId)
                            .ciphertextBlob(SdkBytes.fromByteArray(sealed))
                            .encryptionContext(context(fleet, activationId)))
                    .plaintext().asUtf8String());
        } catch (KmsException | SdkClientException e) {
            throw failure("Decrypt", e);
        }
    }

    private KmsClient kms() {
        KmsClient client = kms;
        if (client == null) {
            synchronized (this) {
                if (kms == null) {
                    kms = clients.get();
                }
                client = kms;
            }
        }
        return client;
    }

    private static Map<String, String> context(String fleet, String activationId) {
        return Map.of("fleet", fleet, "activationId", activationId);
    }

    private static RuntimeException failure(String operation, RuntimeException e) {
        if (e instanceof KmsException kms && !AwsErrors.isTransient(kms)) {
            return new IllegalStateException("KMS " + operation + " refused: " + AwsErrors.describe(kms), e);
        }
        return new ActivationServiceUnavailableException("KMS " + operation + ": " + e.getMessage(), e);
    }
}
