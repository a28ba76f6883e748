package dev.hybridonboarding.registration;

import java.util.Map;
import java.util.Optional;

/**
 * What handling one registration did, for its message.
 *
 * @param taggingProblem why the tags could not be added, when SSM refused them
 * @param deregistered   whether it was deregistered, as the template's option asks for unmanaged instances
 */
record Handling(
        ManagedInstance instance,
        Judgement judgement,
        Map<String, String> tags,
        Optional<String> taggingProblem,
        boolean deregistered,
        RegistrationEvent.Route route) {}
