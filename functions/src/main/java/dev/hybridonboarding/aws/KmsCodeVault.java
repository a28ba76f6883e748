package dev.hybridonboarding.aws;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.support.DependencyUnavailableException;
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

    private final Supplier<KmsClient> kms;
    private final String keyId;

    /** @param kms built on first use: a function whose fleets are all single-use never needs it */
    public KmsCodeVault(Supplier<KmsClient> kms, String keyId) {
        this.kms = Lazy.of(kms);
        this.keyId = keyId;
    }

    @Override
    public byte[] seal(ActivationCode code, String fleet, String activationId) {
        try {
            return kms.get()
                    .encrypt(request -> request.keyId(keyId)
                            .plaintext(SdkBytes.fromString(code.reveal(), StandardCharsets.UTF_8))
                            .encryptionContext(context(fleet, activationId)))
                    .ciphertextBlob()
                    .asByteArray();
        } catch (KmsException | SdkClientException e) {
            throw failure("Encrypt", e);
        }
    }

    @Override
    public ActivationCode open(byte[] sealed, String fleet, String activationId) {
        try {
            return new ActivationCode(kms.get()
                    .decrypt(request -> request.keyId(keyId)
                            .ciphertextBlob(SdkBytes.fromByteArray(sealed))
                            .encryptionContext(context(fleet, activationId)))
                    .plaintext()
                    .asUtf8String());
        } catch (KmsException | SdkClientException e) {
            throw failure("Decrypt", e);
        }
    }

    private static Map<String, String> context(String fleet, String activationId) {
        return Map.of("fleet", fleet, "activationId", activationId);
    }

    private static RuntimeException failure(String operation, RuntimeException e) {
        if (e instanceof KmsException kms && !AwsErrors.isTransient(kms)) {
            return new IllegalStateException("KMS " + operation + " refused: " + AwsErrors.describe(kms), e);
        }
        return new DependencyUnavailableException("KMS " + operation + ": " + e.getMessage(), e);
    }
}
