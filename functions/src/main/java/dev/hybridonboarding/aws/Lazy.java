package dev.hybridonboarding.aws;

import java.util.function.Supplier;

/**
 * A client built on first use and then kept for the container's life: building an SDK client loads hundreds of
 * classes, which a cold start should only pay for when a request needs that service.
 */
public final class Lazy<T> implements Supplier<T> {

    private final Supplier<T> factory;
    private volatile T value;

    private Lazy(Supplier<T> factory) {
        this.factory = factory;
    }

    public static <T> Lazy<T> of(Supplier<T> factory) {
        return new Lazy<>(factory);
    }

    @Override
    public T get() {
        T built = value;
        if (built == null) {
            synchronized (this) {
                if (value == null) {
                    value = factory.get();
                }
                built = value;
            }
        }
        return built;
    }
}
