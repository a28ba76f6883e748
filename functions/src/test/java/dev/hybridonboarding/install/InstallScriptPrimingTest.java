package dev.hybridonboarding.install;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Priming serves every script before the snapshot; a script it cannot serve fails the checkpoint, not a machine. */
class InstallScriptPrimingTest {

    @Test
    void everyScriptIsServedBeforeTheSnapshot() {
        InstallScriptHandler handler = new InstallScriptHandler(new InstallScripts(), "us-east-1");

        assertThatCode(() -> new InstallScriptPriming(handler).beforeCheckpoint(null))
                .doesNotThrowAnyException();
    }

    @Test
    void aScriptThatCannotBeServedFailsTheCheckpoint() {
        InstallScriptHandler noRegion = new InstallScriptHandler(new InstallScripts(), "not a region");

        assertThatThrownBy(() -> new InstallScriptPriming(noRegion).beforeCheckpoint(null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("priming /v1/install/linux answered 400, not 200");
    }
}
