using Coditect.Contracts.Billing;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Billing;

/// <summary>
/// An organization's billing (one row per organization, made on first need): the subscribed plan and its period, the
/// trial it has had, the provider's ids. Its row is also the organization's quota lock: every check that may let
/// something grow takes it first (<see cref="Quotas"/>). Changes are audited (<c>billing_account.*</c>) and announced
/// as <c>subscription.*</c> events.
/// </summary>
[Audited("subscription")]
public sealed class BillingAccount : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }

    /// <summary>The plan subscribed to or set by staff; null: none (the default plan).</summary>
    public string? Plan { get; set; }

    public string Status { get; set; } = SubscriptionStatuses.None;

    /// <summary>Quantity: the product licence's seats.</summary>
    public int Seats { get; set; }

    /// <summary>When the paid (or trial, or staff-set) period ends; null: no end.</summary>
    public DateTime? PeriodEnd { get; set; }

    /// <summary>Set once, when the trial starts; never cleared (one trial per organization, ever).</summary>
    public DateTime? TrialStartedAt { get; set; }

    public DateTime? TrialEndsAt { get; set; }
    public bool CancelAtPeriodEnd { get; set; }
    public DateTime? PastDueSince { get; set; }
    public string? CustomerId { get; set; }
    public string? SubscriptionId { get; set; }
    public Guid? ProductLicenseId { get; set; }

    /// <summary>Stripe: when the newest subscription snapshot applied was made; older ones arriving later are stale.</summary>
    public DateTime? StripeStateAt { get; set; }

    /// <summary>The plan in force at <paramref name="now"/>: the subscribed one within its period, else <paramref name="defaultPlan"/>.</summary>
    public static string PlanAt(BillingAccount? account, DateTime now, string defaultPlan) =>
        account is { Plan: { } plan, Status: not SubscriptionStatuses.Canceled } && (account.PeriodEnd is null || account.PeriodEnd > now)
            ? plan
            : defaultPlan;
}

/// <summary>A Stripe event applied to an organization (its id stored: each event is applied once).</summary>
[NotAudited]
public sealed class BillingEvent : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string EventId { get; set; }
    public required string Type { get; set; }

    /// <summary>When Stripe made the event (its <c>created</c>).</summary>
    public DateTime OccurredAt { get; set; }
}

internal sealed class BillingEventConfiguration : IEntityTypeConfiguration<BillingEvent>
{
    public void Configure(EntityTypeBuilder<BillingEvent> e)
    {
        e.Property(x => x.EventId).HasMaxLength(255);
        e.Property(x => x.Type).HasMaxLength(100);
        e.HasIndex(x => x.EventId).IsUnique();
        e.HasIndex(x => new { x.TenantId, x.Type, x.OccurredAt });
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BillingAccountConfiguration : IEntityTypeConfiguration<BillingAccount>
{
    public void Configure(EntityTypeBuilder<BillingAccount> account)
    {
        account.Property(a => a.Plan).HasMaxLength(32);
        account.Property(a => a.Status).HasMaxLength(16);
        account.Property(a => a.CustomerId).HasMaxLength(255);
        account.Property(a => a.SubscriptionId).HasMaxLength(255);
        account.HasIndex(a => a.TenantId).IsUnique();
        account.HasOne<Organization>().WithMany().HasForeignKey(a => a.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
