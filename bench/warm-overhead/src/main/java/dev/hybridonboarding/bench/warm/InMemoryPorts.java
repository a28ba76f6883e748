package dev.hybridonboarding.bench.warm;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.enrollment.CommitResult;
import dev.hybridonboarding.enrollment.EnrollmentCommit;
import dev.hybridonboarding.enrollment.EnrollmentSnapshot;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.rotation.SharedActivationStore;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The enrollment function's AWS ports, answered from memory in constant time, so that the benchmark
 * measures the handler and the service and nothing of DynamoDB, SSM or KMS. The answers are those of a
 * healthy deployment: every token is valid and has uses left, every commit succeeds.
 */
final class InMemoryPorts {

    private InMemoryPorts() {}

    /** Answers each token id with a fixed snapshot and accepts every write, without keeping it. */
    static final class Store implements EnrollmentStore {

        private final Map<String, EnrollmentSnapshot> snapshots;

        Store(Map<String, EnrollmentSnapshot> snapshotsByTokenId) {
            this.snapshots = Map.copyOf(snapshotsByTokenId);
        }

        @Override
        public EnrollmentSnapshot load(SnapshotKey key) {
            EnrollmentSnapshot snapshot = snapshots.get(key.tokenId());
            if (snapshot == null) {
                throw new IllegalStateException("the benchmark has no snapshot for token " + key.tokenId());
            }
            return snapshot;
        }

        @Override
        public void recordFailure(String sourceIp, Optional<String> tokenId, Instant failureWindow, Instant expiresAt) {
            throw new IllegalStateException(
                    "the benchmark only sends valid tokens; a failure means its fixture is wrong");
        }

        @Override
        public CommitResult commit(EnrollmentCommit commit) {
            // Accepted without keeping it: the real store's transaction is exactly the round trip this benchmark
            // leaves out, and a store that grew with every invocation would measure the garbage collector.
            return CommitResult.COMMITTED;
        }

        @Override
        public boolean enrollmentRecorded(String enrollmentId) {
            throw new IllegalStateException("the benchmark's commits never fail, so none is ever checked");
        }
    }

    /** The shared fleet's activation never runs out in the benchmark, so nothing here is ever called. */
    static final class NoInstallations implements SharedActivationStore {

        @Override
        public Optional<SharedActivation> current(String fleet) {
            throw new IllegalStateException("the benchmark's shared activation never runs out");
        }

        @Override
        public boolean acquireLease(String fleet, String owner, Instant now, Instant until) {
            throw new IllegalStateException("the benchmark's shared activation never runs out");
        }

        @Override
        public void releaseLease(String fleet, String owner) {
            throw new IllegalStateException("the benchmark's shared activation never runs out");
        }

        @Override
        public boolean install(
                String fleet, Optional<String> replaced, SharedActivation next, ActivationRecord record) {
            throw new IllegalStateException("the benchmark's shared activation never runs out");
        }

        @Override
        public boolean activationRecorded(String activationId) {
            throw new IllegalStateException("the benchmark's shared activation never runs out");
        }
    }

    /** Every CreateActivation returns the same activation, which expires when it was asked to. */
    static final class FixedActivations implements Activations {

        static final String ACTIVATION_ID = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
        // A fake, shaped like SSM's 20-character codes; nothing can register with it.
        static final ActivationCode CODE = new ActivationCode("BenchmarkFakeCode000");

        @Override
        public IssuedActivation create(ActivationSpec spec) {
            return new IssuedActivation(ACTIVATION_ID, CODE, spec.expiresAt());
        }

        @Override
        public void delete(String activationId) {
            throw new IllegalStateException("the benchmark's commits never fail, so nothing is ever deleted");
        }

        @Override
        public Optional<ActivationStatus> status(String activationId) {
            throw new IllegalStateException("the benchmark's machines never retry, so no activation is looked up");
        }
    }

    /** Seals by copying the bytes: the benchmark leaves KMS out, as it leaves the other services out. */
    static final class PlainVault implements SharedCodeVault {

        @Override
        public byte[] seal(ActivationCode code, String fleet, String activationId) {
            return code.reveal().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public ActivationCode open(byte[] sealed, String fleet, String activationId) {
            return new ActivationCode(new String(sealed, StandardCharsets.UTF_8));
        }
    }
}
