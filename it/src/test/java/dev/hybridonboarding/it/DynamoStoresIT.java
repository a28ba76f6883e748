package dev.hybridonboarding.it;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.aws.DynamoCalls;
import dev.hybridonboarding.aws.DynamoEnrollmentStore;
import dev.hybridonboarding.aws.DynamoSharedActivationStore;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.rotation.SharedActivationStore;
import dev.hybridonboarding.testing.EnrollmentStoreContract;
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
    class SharedActivationStoreOnDynamoDb extends SharedActivationStoreContract {
        @Override
        protected SharedActivationStore store() {
            return new DynamoSharedActivationStore(table);
        }
    }
}
