package dev.hybridonboarding.aws;

import dev.hybridonboarding.registration.ManagedInstance;
import dev.hybridonboarding.registration.ManagedInstances;
import dev.hybridonboarding.registration.TaggingRefusedException;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.support.Pacer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DescribeInstanceInformationResponse;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationFilterKey;
import software.amazon.awssdk.services.ssm.model.InvalidInstanceIdException;
import software.amazon.awssdk.services.ssm.model.InvalidResourceIdException;
import software.amazon.awssdk.services.ssm.model.ResourceTypeForTagging;
import software.amazon.awssdk.services.ssm.model.SsmException;
import software.amazon.awssdk.services.ssm.model.Tag;

/**
 * Managed instances through DescribeInstanceInformation (at most 100 ids per filter, pages of 50, through the SDK's
 * paginator), the tag calls and DeregisterManagedInstance. Every call and page waits for the pacer first, so that
 * a deployment's environments together stay under the SSM rate it was given.
 */
public final class SsmManagedInstances implements ManagedInstances {

    private static final int MAX_FILTER_VALUES = 100;
    private static final int MAX_PAGE = 50;

    private final SsmClient ssm;
    private final Pacer pacer;

    public SsmManagedInstances(SsmClient ssm, Pacer pacer) {
        this.ssm = ssm;
        this.pacer = pacer;
    }

    @Override
    public Map<String, ManagedInstance> describe(Collection<String> instanceIds) {
        Map<String, ManagedInstance> found = new LinkedHashMap<>();
        for (List<String> batch : batches(instanceIds)) {
            try {
                list(InstanceInformationFilterKey.INSTANCE_IDS, batch)
                        .forEach(instance -> found.put(instance.instanceId(), instance));
            } catch (InvalidInstanceIdException unknown) {
                // Some SSM answers name an id it does not know instead of leaving it out: ask for each alone.
                if (batch.size() > 1) {
                    batch.forEach(id -> found.putAll(describe(List.of(id))));
                }
            }
        }
        return found;
    }

    @Override
    public List<ManagedInstance> registeredWith(Collection<String> activationIds) {
        List<ManagedInstance> found = new ArrayList<>();
        for (List<String> batch : batches(activationIds)) {
            found.addAll(list(InstanceInformationFilterKey.ACTIVATION_IDS, batch));
        }
        return found;
    }

    @Override
    public Map<String, String> tags(String instanceId) {
        Map<String, String> tags = new LinkedHashMap<>();
        try {
            call(
                            "ListTagsForResource",
                            () -> ssm.listTagsForResource(
                                    request -> request.resourceType(ResourceTypeForTagging.MANAGED_INSTANCE)
                                            .resourceId(instanceId)))
                    .tagList()
                    .forEach(tag -> tags.put(tag.key(), tag.value()));
        } catch (InvalidResourceIdException gone) {
            // Deregistered meanwhile: it carries nothing any more.
        }
        return tags;
    }

    @Override
    public boolean tag(String instanceId, Map<String, String> tags) {
        List<Tag> list = tags.entrySet().stream()
                .map(tag ->
                        Tag.builder().key(tag.getKey()).value(tag.getValue()).build())
                .toList();
        try {
            call(
                    "AddTagsToResource",
                    () -> ssm.addTagsToResource(request -> request.resourceType(ResourceTypeForTagging.MANAGED_INSTANCE)
                            .resourceId(instanceId)
                            .tags(list)));
            return true;
        } catch (InvalidResourceIdException gone) {
            return false;
        } catch (IllegalStateException refused) {
            throw new TaggingRefusedException(refused.getMessage(), refused.getCause());
        }
    }

    @Override
    public void deregister(String instanceId) {
        try {
            call(
                    "DeregisterManagedInstance",
                    () -> ssm.deregisterManagedInstance(request -> request.instanceId(instanceId)));
        } catch (InvalidInstanceIdException alreadyGone) {
            // Deregistering is what we wanted; one that is gone already is the outcome.
        }
    }

    private List<ManagedInstance> list(InstanceInformationFilterKey key, List<String> values) {
        List<ManagedInstance> found = new ArrayList<>();
        call("DescribeInstanceInformation", () -> {
            Iterator<DescribeInstanceInformationResponse> pages = ssm.describeInstanceInformationPaginator(
                            request -> request.instanceInformationFilterList(
                                            filter -> filter.key(key).valueSet(values))
                                    .maxResults(MAX_PAGE))
                    .iterator();
            DescribeInstanceInformationResponse page;
            do {
                pacer.beforeCall();
                if (!pages.hasNext()) {
                    break;
                }
                page = pages.next();
                page.instanceInformationList().forEach(information -> found.add(instance(information)));
            } while (page.nextToken() != null);
            return null;
        });
        return found;
    }

    private static ManagedInstance instance(InstanceInformation information) {
        Optional<ManagedInstance.MachineReport> report = information.computerName() == null
                ? Optional.empty()
                : Optional.of(new ManagedInstance.MachineReport(
                        information.computerName(),
                        information.ipAddress(),
                        information.platformName(),
                        information.platformVersion(),
                        information.platformTypeAsString()));
        return new ManagedInstance(
                information.instanceId(), information.activationId(), information.registrationDate(), report);
    }

    /** One paced call: throttling and outages are "later", anything else SSM refuses is an {@link IllegalStateException}. */
    private <T> T call(String operation, Supplier<T> request) {
        if (!"DescribeInstanceInformation".equals(operation)) {
            pacer.beforeCall();
        }
        try {
            return request.get();
        } catch (InvalidInstanceIdException | InvalidResourceIdException decided) {
            throw decided;
        } catch (SsmException e) {
            if (AwsErrors.isTransient(e)
                    || "TooManyUpdates"
                            .equals(
                                    e.awsErrorDetails() == null
                                            ? null
                                            : e.awsErrorDetails().errorCode())) {
                throw new DependencyUnavailableException(operation + ": " + AwsErrors.describe(e), e);
            }
            throw new IllegalStateException(operation + " refused: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new DependencyUnavailableException(operation + ": " + e.getMessage(), e);
        }
    }

    private static List<List<String>> batches(Collection<String> ids) {
        List<String> all = List.copyOf(new LinkedHashSet<>(ids));
        List<List<String>> batches = new ArrayList<>();
        for (int start = 0; start < all.size(); start += MAX_FILTER_VALUES) {
            batches.add(all.subList(start, Math.min(all.size(), start + MAX_FILTER_VALUES)));
        }
        return batches;
    }
}
