package dev.hybridonboarding.aws;

import software.amazon.awssdk.awscore.exception.AwsServiceException;

/** Sorting AWS errors into "try again later" and "will not work as asked". */
final class AwsErrors {

    private AwsErrors() {}

    static boolean isTransient(AwsServiceException e) {
        return e.isThrottlingException() || e.statusCode() >= 500;
    }

    /** Error code and message only: AWS error messages do not echo request parameters such as codes. */
    static String describe(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String message =
                e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        return (code == null ? "HTTP " + e.statusCode() : code)
                + (message == null || message.isBlank() ? "" : ": " + message);
    }
}
