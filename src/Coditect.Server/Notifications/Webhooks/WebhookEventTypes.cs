using Coditect.Server.Billing;
using Coditect.Server.DevContext;
using Coditect.Server.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// The event types an endpoint may subscribe to: those the features raise on the outbox today (docs/webhooks.md shows
/// each with an example). A subscription names types exactly or by object (<c>license.*</c>); none means every type.
/// </summary>
public static class WebhookEventTypes
{
    public static IReadOnlyList<string> All { get; } =
    [
        LicensingEvents.Created, LicensingEvents.Updated, LicensingEvents.Suspended, LicensingEvents.Reinstated,
        LicensingEvents.Renewed, LicensingEvents.Deleted, LicensingEvents.Expiring, LicensingEvents.SeatsExhausted, LicensingEvents.SessionKicked,
        Licensing.Machines.MachineActivations.Activated, Licensing.Machines.MachineActivations.Deactivated,
        OrganizationEvents.Suspended, OrganizationEvents.Unsuspended,
        OrganizationEvents.MembershipCreated, OrganizationEvents.MembershipUpdated, OrganizationEvents.MembershipDeleted,
        OrganizationEvents.InvitationCreated, OrganizationEvents.InvitationAccepted,
        OrganizationEvents.ApiKeyCreated, OrganizationEvents.ApiKeyRevoked,
        DevContextEvents.TeamCreated, DevContextEvents.TeamUpdated, DevContextEvents.TeamDeleted,
        DevContextEvents.ProjectCreated, DevContextEvents.ProjectUpdated, DevContextEvents.ProjectDeleted, DevContextEvents.ProjectImported,
        DevContextEvents.PlanUpdated,
        DevContextEvents.TaskListCreated, DevContextEvents.TaskListUpdated, DevContextEvents.TaskListDeleted,
        DevContextEvents.TaskCreated, DevContextEvents.TaskUpdated, DevContextEvents.TaskDeleted, DevContextEvents.TaskBulkUpdated,
        DevContextEvents.RepositoryCreated, DevContextEvents.RepositoryUpdated, DevContextEvents.RepositoryDeleted,
        DevContextEvents.CommitsSynced,
        DevContextEvents.WorkSessionCreated, DevContextEvents.WorkSessionDeleted, DevContextEvents.WorkSessionImported,
        DevContextEvents.ConversationCreated, DevContextEvents.MessagesAppended,
        BillingEvents.Created, BillingEvents.Updated, BillingEvents.TrialStarted, BillingEvents.TrialWillEnd, BillingEvents.Canceled,
        BillingEvents.InvoicePaid, BillingEvents.InvoicePaymentFailed,
    ];

    /// <summary>Whether an endpoint subscribed to <paramref name="subscribed"/> wants <paramref name="type"/>.</summary>
    public static bool Wants(IReadOnlyList<string> subscribed, string type) =>
        subscribed.Count == 0 || subscribed.Any(s => s == type || (s.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(s[..^1], StringComparison.Ordinal)));

    /// <summary>Reads a subscription: known types or <c>object.*</c> of a known object, each once.</summary>
    public static List<string> Parse(Validator errors, string field, IReadOnlyList<string>? values)
    {
        var types = new List<string>();
        foreach (var value in values ?? [])
        {
            var type = (value ?? "").Trim();
            var known = All.Contains(type) || (type.EndsWith(".*", StringComparison.Ordinal) && All.Any(t => t.StartsWith(type[..^1], StringComparison.Ordinal)));
            if (!known)
            {
                errors.Add(field, $"'{(type.Length > 100 ? type[..100] : type)}' is not an event type (GET /api/v1/webhooks/event-types lists them).");
                return [];
            }

            if (!types.Contains(type))
            {
                types.Add(type);
            }
        }

        return types;
    }
}
