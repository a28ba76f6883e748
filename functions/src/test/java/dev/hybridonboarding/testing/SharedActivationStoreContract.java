package dev.hybridonboarding.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.rotation.SharedActivationStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What every implementation of the shared-activation store promises, held against the in-memory fake in the unit
 * tests and against the DynamoDB adapter on the local stack in the integration tests.
 */
public abstract class SharedActivationStoreContract {

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    protected abstract SharedActivationStore store();

    protected String uniqueFleet() {
        return "contract-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    private static SharedActivation activation(String id) {
        return new SharedActivation(id, new byte[] {4, 2}, NOW.plus(Duration.ofDays(7)), 10, 0, NOW);
    }

    private boolean install(String fleet, Optional<String> replaced, String id) {
        return store().install(
                        fleet,
                        replaced,
                        activation(id),
                        ActivationRecord.shared(id, fleet, 10, NOW.plus(Duration.ofDays(7)), NOW));
    }

    @Test
    void oneCallerAtATimeHoldsTheLeaseUntilItExpires() {
        String fleet = uniqueFleet();

        assertThat(store().acquireLease(fleet, "a", NOW, NOW.plusSeconds(30))).isTrue();
        assertThat(store().acquireLease(fleet, "a", NOW, NOW.plusSeconds(30)))
                .as("the holder asking again")
                .isTrue();
        assertThat(store().acquireLease(fleet, "b", NOW.plusSeconds(10), NOW.plusSeconds(40)))
                .isFalse();
        assertThat(store().acquireLease(fleet, "b", NOW.plusSeconds(31), NOW.plusSeconds(61)))
                .as("after it expired")
                .isTrue();
    }

    @Test
    void onlyTheHolderGivesTheLeaseBack() {
        String fleet = uniqueFleet();
        store().acquireLease(fleet, "a", NOW, NOW.plusSeconds(30));

        store().releaseLease(fleet, "b");
        assertThat(store().acquireLease(fleet, "c", NOW, NOW.plusSeconds(30))).isFalse();

        store().releaseLease(fleet, "a");
        assertThat(store().acquireLease(fleet, "c", NOW, NOW.plusSeconds(30))).isTrue();
    }

    @Test
    void installingRecordsTheActivationMakesItCurrentAndGivesTheLeaseBack() {
        String fleet = uniqueFleet();
        String id = UUID.randomUUID().toString();
        store().acquireLease(fleet, "a", NOW, NOW.plusSeconds(30));

        assertThat(install(fleet, Optional.empty(), id)).isTrue();

        assertThat(store().current(fleet)).hasValueSatisfying(current -> {
            assertThat(current.activationId()).isEqualTo(id);
            assertThat(current.sealedCode()).containsExactly(4, 2);
            assertThat(current.handedOut()).isZero();
        });
        assertThat(store().activationRecorded(id)).isTrue();
        assertThat(store().acquireLease(fleet, "b", NOW, NOW.plusSeconds(30))).isTrue();
    }

    @Test
    void anInstallationOnlyReplacesTheActivationItWasMeantToReplace() {
        String fleet = uniqueFleet();
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        String third = UUID.randomUUID().toString();
        assertThat(install(fleet, Optional.empty(), first)).isTrue();
        assertThat(install(fleet, Optional.empty(), second))
                .as("there is one already")
                .isFalse();
        assertThat(install(fleet, Optional.of(first), second)).isTrue();

        assertThat(install(fleet, Optional.of(first), third))
                .as("first was replaced meanwhile")
                .isFalse();

        assertThat(store().current(fleet).orElseThrow().activationId()).isEqualTo(second);
        assertThat(store().activationRecorded(third)).isFalse();
    }

    @Test
    void aFleetWithoutASharedActivationHasNone() {
        assertThat(store().current(uniqueFleet())).isEmpty();
        assertThat(store().activationRecorded(UUID.randomUUID().toString())).isFalse();
    }
}
