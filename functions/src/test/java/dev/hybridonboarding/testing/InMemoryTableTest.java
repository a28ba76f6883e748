package dev.hybridonboarding.testing;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.rotation.SharedActivationStore;
import org.junit.jupiter.api.Nested;

/** The fake the unit tests use keeps the same promises as the DynamoDB adapters. */
class InMemoryTableTest {

    private final InMemoryTable table = new InMemoryTable();

    @Nested
    class AsEnrollmentStore extends EnrollmentStoreContract {
        @Override
        protected EnrollmentStore store() {
            return table;
        }

        @Override
        protected SharedActivationStore sharedActivations() {
            return table;
        }

        @Override
        protected AdminStore admin() {
            return table;
        }
    }

    @Nested
    class AsSharedActivationStore extends SharedActivationStoreContract {
        @Override
        protected SharedActivationStore store() {
            return table;
        }
    }
}
