package dev.hybridonboarding.testing;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.registration.DigestStore;
import dev.hybridonboarding.registration.RegistrationStore;
import dev.hybridonboarding.rotation.SharedActivationStore;
import org.junit.jupiter.api.Nested;

/** The fakes the unit tests use keep the same promises as the DynamoDB adapters. */
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
    class AsRegistrationStore extends RegistrationStoreContract {
        private final InMemoryRegistrationTable registrations = new InMemoryRegistrationTable(table);

        @Override
        protected RegistrationStore registrations() {
            return registrations;
        }

        @Override
        protected DigestStore digests() {
            return registrations;
        }

        @Override
        protected EnrollmentStore enrollments() {
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
