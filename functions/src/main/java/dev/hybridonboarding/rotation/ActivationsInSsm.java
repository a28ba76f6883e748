package dev.hybridonboarding.rotation;

import dev.hybridonboarding.support.Pacer;
import java.util.List;

/** The port to SSM's list of activations. */
public interface ActivationsInSsm {

    /**
     * Every activation in the account and Region, page by page, each page's call paced.
     *
     * @throws dev.hybridonboarding.support.DependencyUnavailableException when SSM throttles or fails
     */
    List<ListedActivation> all(Pacer pacer);
}
