package dev.hybridonboarding.aws;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.admin.ActivationInventory;
import dev.hybridonboarding.rotation.ActivationsInSsm;
import dev.hybridonboarding.rotation.ListedActivation;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.support.Pacer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Activation;
import software.amazon.awssdk.services.ssm.model.DescribeActivationsFilterKeys;
import software.amazon.awssdk.services.ssm.model.DescribeActivationsResponse;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** Activation and instance counts from SSM, through its paginators, at most 100 ids per filter as SSM allows. */
public final class SsmActivationInventory implements ActivationInventory, ActivationsInSsm {

    private static final int MAX_FILTER_VALUES = 100;
    private static final int MAX_PAGE = 50;

    private final SsmClient ssm;

    public SsmActivationInventory(SsmClient ssm) {
        this.ssm = ssm;
    }

    @Override
    public Map<String, ActivationState> activations(Collection<String> activationIds) {
        Map<String, ActivationState> states = new HashMap<>();
        for (List<String> batch : batches(activationIds)) {
            ssm.describeActivationsPaginator(request ->
                            request.filters(filter -> filter.filterKey(DescribeActivationsFilterKeys.ACTIVATION_IDS)
                                    .filterValues(batch)))
                    .activationList()
                    .forEach(activation -> states.put(
                            activation.activationId(),
                            new ActivationState(
                                    activation.activationId(),
                                    activation.registrationsCount(),
                                    activation.registrationLimit(),
                                    activation.expirationDate(),
                                    Boolean.TRUE.equals(activation.expired()))));
        }
        return states;
    }

    @Override
    public List<ListedActivation> all(Pacer pacer) {
        List<ListedActivation> all = new ArrayList<>();
        try {
            Iterator<DescribeActivationsResponse> pages = ssm.describeActivationsPaginator(
                            request -> request.maxResults(MAX_PAGE))
                    .iterator();
            while (pages.hasNext()) {
                pacer.beforeCall();
                for (Activation activation : pages.next().activationList()) {
                    Map<String, String> tags = new HashMap<>();
                    activation.tags().forEach(tag -> tags.put(tag.key(), tag.value()));
                    all.add(new ListedActivation(
                            activation.activationId(),
                            activation.registrationLimit(),
                            activation.registrationsCount(),
                            activation.expirationDate(),
                            Boolean.TRUE.equals(activation.expired()),
                            activation.createdDate(),
                            tags));
                }
            }
        } catch (SsmException e) {
            throw new DependencyUnavailableException("DescribeActivations: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new DependencyUnavailableException("DescribeActivations: " + e.getMessage(), e);
        }
        return all;
    }

    @Override
    public int registeredMachines(String fleet) {
        return (int) ssm
                .describeInstanceInformationPaginator(request -> request.filters(
                        filter -> filter.key("tag:" + InstanceTags.FLEET).values(fleet)))
                .instanceInformationList()
                .stream()
                .count();
    }

    private static List<List<String>> batches(Collection<String> ids) {
        List<String> all = new ArrayList<>(ids);
        List<List<String>> batches = new ArrayList<>();
        for (int start = 0; start < all.size(); start += MAX_FILTER_VALUES) {
            batches.add(all.subList(start, Math.min(all.size(), start + MAX_FILTER_VALUES)));
        }
        return batches;
    }
}
