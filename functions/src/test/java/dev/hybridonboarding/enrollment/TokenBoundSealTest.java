package dev.hybridonboarding.enrollment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.token.TokenSecret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class TokenBoundSealTest {

    private final SecureRandom random = new SecureRandom();
    private final TokenBoundSeal seal = new TokenBoundSeal(random);
    private final ActivationCode code = new ActivationCode("QC2CV0/lRfn+LTqf23Bf");

    @Test
    void aSealedCodeOpensOnlyWithTheSameSecretAndBinding() {
        TokenSecret secret = TokenSecret.generate(random);
        byte[] sealed = seal.seal(code, secret, "tok|m-1|act-1");

        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(code.reveal());
        assertThat(seal.open(sealed, secret, "tok|m-1|act-1")).isEqualTo(code);
        assertThatThrownBy(() -> seal.open(sealed, TokenSecret.generate(random), "tok|m-1|act-1"))
                .isInstanceOf(TokenBoundSeal.SealBrokenException.class);
        assertThatThrownBy(() -> seal.open(sealed, secret, "tok|m-2|act-1"))
                .isInstanceOf(TokenBoundSeal.SealBrokenException.class);
        sealed[sealed.length - 1] ^= 1;
        assertThatThrownBy(() -> seal.open(sealed, secret, "tok|m-1|act-1"))
                .isInstanceOf(TokenBoundSeal.SealBrokenException.class);
    }

    @Test
    void sealingTheSameCodeTwiceGivesDifferentBytes() {
        TokenSecret secret = TokenSecret.generate(random);
        assertThat(seal.seal(code, secret, "b")).isNotEqualTo(seal.seal(code, secret, "b"));
    }
}
