package dev.hybridonboarding.activation;

import java.time.Duration;

/** What handing an activation to a machine promises it. */
public final class Handout {

    /**
     * A machine that receives an activation must still have this long to install the agent and register with it:
     * nothing is handed out closer to its expiry, and nothing handed out is deleted sooner after the hand-out.
     */
    public static final Duration MARGIN = Duration.ofMinutes(10);

    private Handout() {}
}
