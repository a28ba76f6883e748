package dev.hybridonboarding.activation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import org.junit.jupiter.api.Test;

class ActivationCodesTest {

    private final ActivationCode code = new ActivationCode("QC2CV0/lRfn+LTqf23Bf");

    @Test
    void aCodeNeverPrintsItself() {
        assertThat(code.toString()).doesNotContain(code.reveal());
        assertThat(String.valueOf(code)).isEqualTo("ActivationCode[redacted]");
    }

    @Test
    void theCachingVaultOpensEachActivationOnce() {
        SharedCodeVault kms = mock(SharedCodeVault.class);
        when(kms.open(new byte[] {1}, "edge", "act-1")).thenReturn(code);
        CachingCodeVault vault = new CachingCodeVault(kms);

        assertThat(vault.open(new byte[] {1}, "edge", "act-1")).isEqualTo(code);
        assertThat(vault.open(new byte[] {1}, "edge", "act-1")).isEqualTo(code);
        verify(kms, times(1)).open(new byte[] {1}, "edge", "act-1");
    }

    @Test
    void theCacheAnswersOnlyForTheSameFleetActivationAndCiphertext() {
        SharedCodeVault kms = mock(SharedCodeVault.class);
        when(kms.open(new byte[] {1}, "edge", "act-1")).thenReturn(code);
        when(kms.open(new byte[] {9}, "edge", "act-1")).thenThrow(new IllegalStateException("KMS Decrypt refused"));
        when(kms.open(new byte[] {1}, "lab", "act-1")).thenThrow(new IllegalStateException("KMS Decrypt refused"));
        CachingCodeVault vault = new CachingCodeVault(kms);
        vault.open(new byte[] {1}, "edge", "act-1");

        assertThatThrownBy(() -> vault.open(new byte[] {9}, "edge", "act-1"))
                .as("an altered ciphertext")
                .hasMessageContaining("refused");
        assertThatThrownBy(() -> vault.open(new byte[] {1}, "lab", "act-1"))
                .as("another fleet")
                .hasMessageContaining("refused");
    }

    @Test
    void aCodeSealedByThisContainerIsNotOpenedAgain() {
        SharedCodeVault kms = mock(SharedCodeVault.class);
        when(kms.seal(code, "edge", "act-2")).thenReturn(new byte[] {2});
        CachingCodeVault vault = new CachingCodeVault(kms);

        vault.seal(code, "edge", "act-2");

        assertThat(vault.open(new byte[] {2}, "edge", "act-2")).isEqualTo(code);
        verify(kms, times(0)).open(new byte[] {2}, "edge", "act-2");
    }

    @Test
    void specsStayWithinSsmLimits() {
        ActivationSpec spec = new ActivationSpec(
                "Role", 1, java.time.Instant.EPOCH, "n".repeat(300), "d".repeat(300), java.util.Map.of());
        assertThat(spec.defaultInstanceName()).hasSize(256);
        assertThat(spec.description()).hasSize(256);
        assertThatThrownBy(
                        () -> new ActivationSpec("Role", 1001, java.time.Instant.EPOCH, null, null, java.util.Map.of()))
                .hasMessageContaining("1-1000");
    }
}
