package dev.hybridonboarding.aws;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.admin.ActivationInventory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DescribeActivationsFilterKeys;

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
    public int registeredMachines(String fleet) {
        return (int) ssm.describeInstanceInformationPaginator(request -> request.filters(filter -> filter
                        .key("tag:" + InstanceTags.FLEET)
                        .values(fleet)))
                .instanceInformationList().stream().count();
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
