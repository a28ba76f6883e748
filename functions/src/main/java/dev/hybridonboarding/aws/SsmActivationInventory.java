package dev.hybridonboarding.aws;

import dev.hybridonboarding.admin.ActivationInventory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DescribeActivationsFilterKeys;
import software.amazon.awssdk.services.ssm.model.InstanceInformationFilterKey;

/** Activation and instance counts from SSM, through its paginators, at most 100 ids per filter as SSM allows. */
public final class SsmActivationInventory implements ActivationInventory {

    private static final int MAX_FILTER_VALUES = 100;

    private final SsmClient ssm;

    public SsmActivationInventory(SsmClient ssm) {
        this.ssm = ssm;
    }

    @Override
    public Map<String, ActivationState> activations(Collection<String> activationIds) {
        Map<String, ActivationState> states = new HashMap<>();
        for (List<String> batch : batches(activationIds)) {
            ssm.describeActivationsPaginator(request -> request.filters(filter -> filter
                            .filterKey(DescribeActivationsFilterKeys.ACTIVATION_IDS)
                            .filterValues(batch)))
                    .activationList()
                    .forEach(activation -> states.put(activation.activationId(), new ActivationState(
                            activation.activationId(),
                            activation.registrationsCount(),
                            activation.registrationLimit(),
                            activation.expirationDate(),
                            Boolean.TRUE.equals(activation.expired()))));
        }
        return states;
    }

    @Override
    public Map<String, Integer> registeredMachines(Collection<String> activationIds) {
        Map<String, Integer> machines = new HashMap<>();
        for (List<String> batch : batches(activationIds)) {
            ssm.describeInstanceInformationPaginator(request -> request.instanceInformationFilterList(filter -> filter
                            .key(InstanceInformationFilterKey.ACTIVATION_IDS)
                            .valueSet(batch)))
                    .instanceInformationList()
                    .forEach(instance -> machines.merge(instance.activationId(), 1, Integer::sum));
        }
        return machines;
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
