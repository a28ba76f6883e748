package dev.hybridonboarding.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Enough of IAM's policy evaluation to judge a role's statements on this stack's own requests: an explicit Deny wins,
 * otherwise an Allow is needed. Action, NotAction, Resource, NotResource with wildcards, and the condition operators
 * the template uses; any other operator fails the test rather than being ignored.
 */
final class IamPolicy {

    private final List<Map<String, Object>> statements;

    @SuppressWarnings("unchecked")
    IamPolicy(List<Map<String, Object>> documents) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> document : documents) {
            Object statement = document.get("Statement");
            for (Object s : statement instanceof List<?> list ? list : List.of(statement)) {
                all.add((Map<String, Object>) s);
            }
        }
        this.statements = all;
    }

    /** A request: an action on a resource, with the condition keys IAM would give it. */
    record Request(String action, String resource, Map<String, String> context) {
        Request(String action, String resource) {
            this(action, resource, Map.of());
        }
    }

    boolean allows(Request request) {
        boolean allowed = false;
        for (Map<String, Object> statement : statements) {
            if (!applies(statement, request)) {
                continue;
            }
            if ("Deny".equals(statement.get("Effect"))) {
                return false;
            }
            allowed = true;
        }
        return allowed;
    }

    private static boolean applies(Map<String, Object> statement, Request request) {
        boolean action = statement.containsKey("Action")
                ? anyMatches(statement.get("Action"), request.action(), true)
                : !anyMatches(statement.get("NotAction"), request.action(), true);
        boolean resource = statement.containsKey("Resource")
                ? anyMatches(statement.get("Resource"), request.resource(), false)
                : !anyMatches(statement.get("NotResource"), request.resource(), false);
        return action && resource && conditionsHold(statement.get("Condition"), request.context());
    }

    @SuppressWarnings("unchecked")
    private static boolean conditionsHold(Object condition, Map<String, String> context) {
        if (condition == null) {
            return true;
        }
        for (Map.Entry<String, Object> operator : ((Map<String, Object>) condition).entrySet()) {
            for (Map.Entry<String, Object> test : ((Map<String, Object>) operator.getValue()).entrySet()) {
                String value = context.get(test.getKey());
                boolean holds = switch (operator.getKey()) {
                    case "StringEquals" ->
                        value != null && values(test.getValue()).contains(value);
                    case "StringLike", "ArnLike" -> value != null && anyMatches(test.getValue(), value, false);
                    default ->
                        throw new IllegalArgumentException(
                                "condition operator " + operator.getKey() + " is not modelled");
                };
                if (!holds) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean anyMatches(Object patterns, String value, boolean ignoreCase) {
        return values(patterns).stream()
                .anyMatch(
                        pattern -> wildcard(pattern, ignoreCase).matcher(value).matches());
    }

    private static List<String> values(Object value) {
        return value instanceof List<?> list
                ? list.stream().map(String::valueOf).toList()
                : List.of(String.valueOf(value));
    }

    private static Pattern wildcard(String pattern, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
    }
}
