package dev.hybridonboarding.it;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.aws.DynamoCalls;
import dev.hybridonboarding.aws.DynamoEnrollmentStore;
import dev.hybridonboarding.aws.DynamoRegistrationStore;
import dev.hybridonboarding.aws.DynamoSharedActivationStore;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.registration.DigestStore;
import dev.hybridonboarding.registration.RegistrationStore;
import dev.hybridonboarding.rotation.SharedActivationStore;
import dev.hybridonboarding.testing.EnrollmentStoreContract;
import dev.hybridonboarding.testing.RegistrationStoreContract;
import dev.hybridonboarding.testing.SharedActivationStoreContract;
import org.junit.jupiter.api.Nested;

/** The DynamoDB adapters keep the same promises as the in-memory fake the unit tests use, on the stack's own table. */
class DynamoStoresIT {

    private final LocalStack stack = LocalStack.get();
    private final DynamoCalls table = new DynamoCalls(stack.dynamo, stack.table);

    @Nested
    class EnrollmentStoreOnDynamoDb extends EnrollmentStoreContract {
        @Override
        protected EnrollmentStore store() {
            return new DynamoEnrollmentStore(table);
        }

        @Override
        protected SharedActivationStore sharedActivations() {
            return new DynamoSharedActivationStore(table);
        }

        @Override
        protected AdminStore admin() {
            return stack.store;
        }
    }

    @Nested
    class RegistrationStoreOnDynamoDb extends RegistrationStoreContract {
        private final DynamoRegistrationStore store = new DynamoRegistrationStore(table);

        @Override
        protected RegistrationStore registrations() {
            return store;
        }

        @Override
        protected DigestStore digests() {
            return store;
        }

        @Override
        protected EnrollmentStore enrollments() {
            return new DynamoEnrollmentStore(table);
        }

        @Override
        protected AdminStore admin() {
            return stack.store;
        }
    }

    @Nested
    class SharedActivationStoreOnDynamoDb extends SharedActivationStoreContract {
        @Override
        protected SharedActivationStore store() {
            return new DynamoSharedActivationStore(table);
        }
    }
}
