package dev.hybridonboarding.registration;

/**
 * One message of a batch, read.
 *
 * @param receiveCount how many times the queue has delivered it, this time included
 */
public record Delivery(String messageId, QueueMessage message, int receiveCount) {}
