package dev.hybridonboarding.aws;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.support.DependencyUnavailableException;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.CreateActivationResponse;
import software.amazon.awssdk.services.ssm.model.DescribeActivationsFilterKeys;
import software.amazon.awssdk.services.ssm.model.InvalidActivationException;
import software.amazon.awssdk.services.ssm.model.SsmException;
import software.amazon.awssdk.services.ssm.model.Tag;

/** Hybrid activations through SSM's CreateActivation, DescribeActivations and DeleteActivation. */
public final class SsmActivations implements Activations {

    private final Supplier<SsmClient> ssm;

    /** @param ssm built on first use: requests refused before an activation is needed never pay for it */
    public SsmActivations(Supplier<SsmClient> ssm) {
        this.ssm = Lazy.of(ssm);
    }

    @Override
    public IssuedActivation create(ActivationSpec spec) {
        List<Tag> tags = spec.tags().entrySet().stream()
                .map(tag ->
                        Tag.builder().key(tag.getKey()).value(tag.getValue()).build())
                .toList();
        try {
            CreateActivationResponse created = ssm.get()
                    .createActivation(request -> request.iamRole(spec.instanceRole())
                            .registrationLimit(spec.registrationLimit())
                            .expirationDate(spec.expiresAt())
                            .defaultInstanceName(spec.defaultInstanceName())
                            .description(spec.description())
                            .tags(tags));
            return new IssuedActivation(
                    created.activationId(), new ActivationCode(created.activationCode()), spec.expiresAt());
        } catch (SsmException e) {
            if (AwsErrors.isTransient(e)) {
                throw new DependencyUnavailableException("CreateActivation: " + AwsErrors.describe(e), e);
            }
            throw new ActivationRejectedException("CreateActivation: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new DependencyUnavailableException("CreateActivation: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<ActivationStatus> status(String activationId) {
        try {
            return ssm
                    .get()
                    .describeActivations(request ->
                            request.filters(filter -> filter.filterKey(DescribeActivationsFilterKeys.ACTIVATION_IDS)
                                    .filterValues(activationId)))
                    .activationList()
                    .stream()
                    .findFirst()
                    .map(activation -> new ActivationStatus(
                            activation.registrationsCount(),
                            activation.registrationLimit(),
                            Boolean.TRUE.equals(activation.expired())));
        } catch (SsmException e) {
            throw new DependencyUnavailableException("DescribeActivations: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new DependencyUnavailableException("DescribeActivations: " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String activationId) {
        try {
            ssm.get().deleteActivation(request -> request.activationId(activationId));
        } catch (InvalidActivationException alreadyGone) {
            // Deleting is how we clean up; an activation that is gone already is the outcome we wanted.
        }
    }
}
