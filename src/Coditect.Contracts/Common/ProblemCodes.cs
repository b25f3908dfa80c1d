namespace Coditect.Contracts.Common;

/// <summary>The stable, machine-readable <c>code</c> values of problem+json answers.</summary>
public static class ProblemCodes
{
    public const string ValidationFailed = "VALIDATION_FAILED";
    public const string MalformedRequest = "MALFORMED_REQUEST";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string RateLimited = "RATE_LIMITED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";

    public const string EmailTaken = "EMAIL_TAKEN";
    public const string InvalidCredentials = "INVALID_CREDENTIALS";
    public const string InvalidRefreshToken = "INVALID_REFRESH_TOKEN";
    public const string RefreshTokenReused = "REFRESH_TOKEN_REUSED";
    public const string UserTokenRequired = "USER_TOKEN_REQUIRED";
    public const string EmailNotVerified = "EMAIL_NOT_VERIFIED";

    public const string OrgNotFound = "ORG_NOT_FOUND";
    public const string SlugTaken = "SLUG_TAKEN";
    public const string MemberNotFound = "MEMBER_NOT_FOUND";
    public const string LastOwner = "LAST_OWNER";
    public const string AlreadyMember = "ALREADY_MEMBER";
    public const string InvitationNotFound = "INVITATION_NOT_FOUND";
    public const string InvitationNotForYou = "INVITATION_NOT_FOR_YOU";
    public const string ApiKeyNotFound = "API_KEY_NOT_FOUND";
    public const string WebhookNotFound = "WEBHOOK_NOT_FOUND";
    public const string WebhookDeliveryNotFound = "WEBHOOK_DELIVERY_NOT_FOUND";
    public const string ApiKeyAuthorityLost = "API_KEY_AUTHORITY_LOST";
    public const string OrganizationSuspended = "ORGANIZATION_SUSPENDED";

    public const string LicenseNotFound = "LICENSE_NOT_FOUND";
    public const string LicenseSuspended = "LICENSE_SUSPENDED";
    public const string LicenseExpired = "LICENSE_EXPIRED";
    public const string NoSeatsAvailable = "NO_SEATS_AVAILABLE";
    public const string BorrowingNotAllowed = "BORROWING_NOT_ALLOWED";
    public const string SessionNotFound = "SESSION_NOT_FOUND";
    public const string SessionExpired = "SESSION_EXPIRED";
    public const string SessionReleased = "SESSION_RELEASED";
    public const string SeatLedgerUnavailable = "SEAT_LEDGER_UNAVAILABLE";
    public const string LicenseNodeLocked = "LICENSE_NODE_LOCKED";
    public const string LicenseNotNodeLocked = "LICENSE_NOT_NODE_LOCKED";
    public const string MachineLimitReached = "MACHINE_LIMIT_REACHED";
    public const string MachineNotFound = "MACHINE_NOT_FOUND";
    public const string QueueTicketNotFound = "QUEUE_TICKET_NOT_FOUND";
    public const string QueueTicketNotOffered = "QUEUE_TICKET_NOT_OFFERED";
    public const string QueueTicketLapsed = "QUEUE_TICKET_LAPSED";

    public const string TeamNotFound = "TEAM_NOT_FOUND";
    public const string ProjectNotFound = "PROJECT_NOT_FOUND";
    public const string TaskListNotFound = "TASK_LIST_NOT_FOUND";
    public const string TaskNotFound = "TASK_NOT_FOUND";
    public const string PlanVersionNotFound = "PLAN_VERSION_NOT_FOUND";
    public const string RepositoryNotFound = "REPOSITORY_NOT_FOUND";
    public const string DependencyNotFound = "DEPENDENCY_NOT_FOUND";
    public const string ProjectKeyTaken = "PROJECT_KEY_TAKEN";
    public const string NameTaken = "NAME_TAKEN";
    public const string DependencyCycle = "DEPENDENCY_CYCLE";
    public const string TaskBlocked = "TASK_BLOCKED";
    public const string WorkSessionNotFound = "WORK_SESSION_NOT_FOUND";
    public const string ConversationNotFound = "CONVERSATION_NOT_FOUND";
    public const string ContentNotFound = "CONTENT_NOT_FOUND";
    public const string ExternalIdTaken = "EXTERNAL_ID_TAKEN";

    public const string QuotaExceeded = "QUOTA_EXCEEDED";
    public const string TrialAlreadyUsed = "TRIAL_ALREADY_USED";
    public const string LicenseManaged = "LICENSE_MANAGED";
    public const string BillingProviderManual = "BILLING_PROVIDER_MANUAL";
    public const string SubscriptionActive = "SUBSCRIPTION_ACTIVE";
    public const string NoSubscription = "NO_SUBSCRIPTION";
}
