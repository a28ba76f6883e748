package dev.hybridonboarding.notification;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Something the team should hear about: what happened, the facts that say so, and what to do next.
 *
 * @param id        the same for every sending of the same notice, so that subscribers can drop a repeat
 * @param facts     in the order a reader should see them
 * @param resources ARNs of what it is about (instances, activations, functions)
 * @param threadId  notices about the same thing share one (Slack threads them)
 */
public record Notice(
        String id,
        NoticeKind kind,
        String title,
        String summary,
        List<Fact> facts,
        List<String> resources,
        List<String> nextSteps,
        String threadId) {

    /**
     * One fact, named twice: {@code key} for programs (stable, part of the JSON document's schema) and {@code label}
     * for people, or no label for a fact only programs get.
     */
    public record Fact(String key, String label, String value) {
        public Fact {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        public boolean forPeople() {
            return label != null;
        }
    }

    public Notice {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        facts = List.copyOf(facts);
        resources = List.copyOf(resources);
        nextSteps = List.copyOf(nextSteps);
    }

    public boolean isAlert() {
        return kind.isAlert();
    }

    /** Starts a notice of this kind; {@code id} names what it is about, e.g. the instance. */
    public static Builder of(NoticeKind kind, String id) {
        return new Builder(kind, id);
    }

    /** Collects a notice's parts in reading order; a fact without a value is left out. */
    public static final class Builder {
        private final NoticeKind kind;
        private final String id;
        private String title = "";
        private String summary = "";
        private final List<Fact> facts = new ArrayList<>();
        private final List<String> resources = new ArrayList<>();
        private final List<String> nextSteps = new ArrayList<>();
        private String threadId;

        private Builder(NoticeKind kind, String id) {
            this.kind = kind;
            this.id = id;
        }

        public Builder title(String title) {
            this.title = title;
            return this;
        }

        public Builder summary(String summary) {
            this.summary = summary;
            return this;
        }

        public Builder fact(String key, String label, String value) {
            if (value != null) {
                facts.add(new Fact(key, label, value));
            }
            return this;
        }

        /** A fact only the JSON document carries, e.g. each tag under its own key. */
        public Builder data(String key, String value) {
            return fact(key, null, value);
        }

        public Builder resource(String arn) {
            resources.add(arn);
            return this;
        }

        public Builder nextStep(String step) {
            nextSteps.add(step);
            return this;
        }

        public Builder thread(String threadId) {
            this.threadId = threadId;
            return this;
        }

        public Notice build() {
            return new Notice(
                    kind.eventType() + "/" + id,
                    kind,
                    title,
                    summary,
                    facts,
                    resources,
                    nextSteps,
                    threadId == null ? id : threadId);
        }
    }
}
