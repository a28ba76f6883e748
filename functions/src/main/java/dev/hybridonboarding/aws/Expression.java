package dev.hybridonboarding.aws;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A condition, update or key expression over attributes of {@link Attr}: each {@code %s} of the template takes the
 * placeholder of the next attribute given, and the placeholders' names come with it.
 */
record Expression(String text, Map<String, String> names) {

    static Expression of(String template, Attr... attributes) {
        Map<String, String> names = new HashMap<>();
        for (Attr attribute : attributes) {
            names.put(attribute.ref(), attribute.attribute());
        }
        return new Expression(
                String.format(template, Arrays.stream(attributes).map(Attr::ref).toArray()), Map.copyOf(names));
    }

    /** The names of this expression and another, for a request that carries both (update and condition). */
    Map<String, String> namesWith(Expression other) {
        Map<String, String> all = new HashMap<>(names);
        all.putAll(other.names);
        return all;
    }
}
