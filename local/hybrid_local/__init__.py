"""Local stand-ins for the AWS services the hybrid onboarding backend uses."""
