using System.Globalization;
using Coditect.Contracts.Billing;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Billing;

/// <summary>A limit an organization's plan sets.</summary>
public enum Quota
{
    /// <summary>Memberships plus pending invitations.</summary>
    Members,

    /// <summary>Licences, not counting the product licence billing manages.</summary>
    Licenses,

    /// <summary>Seats of one licence (checked per licence, not counted).</summary>
    SeatsPerLicense,

    Projects,

    /// <summary>Stored work-session messages (rows).</summary>
    Messages,

    /// <summary>Stored message content bytes (the organization's unique contents).</summary>
    MessageBytes,

    /// <summary>API requests per hour per caller (user or API key).</summary>
    ApiRequestsPerHour,
}

public static class QuotaWire
{
    public static IReadOnlyList<Quota> All { get; } = Enum.GetValues<Quota>();

    public static string ToWire(this Quota quota) => quota switch
    {
        Quota.Members => QuotaNames.Members,
        Quota.Licenses => QuotaNames.Licenses,
        Quota.SeatsPerLicense => QuotaNames.SeatsPerLicense,
        Quota.Projects => QuotaNames.Projects,
        Quota.Messages => QuotaNames.Messages,
        Quota.MessageBytes => QuotaNames.MessageBytes,
        Quota.ApiRequestsPerHour => QuotaNames.ApiRequestsPerHour,
        _ => throw new ArgumentOutOfRangeException(nameof(quota)),
    };
}

/// <summary>
/// The plans and their limits (singleton), read once at start: the defaults below, each replaced by a
/// <c>Plans:{plan}:{quota}</c> setting when one is given (empty: unlimited); a <c>Plans:{name}</c> section adds a plan.
/// A bad number fails the start with the key's name.
/// </summary>
public sealed class PlanCatalog
{
    public const string Section = "Plans";

    private static readonly Dictionary<string, Dictionary<Quota, long?>> Defaults = new(StringComparer.Ordinal)
    {
        ["free"] = new()
        {
            [Quota.Members] = 3, [Quota.Licenses] = 3, [Quota.SeatsPerLicense] = 10, [Quota.Projects] = 3,
            [Quota.Messages] = 10_000, [Quota.MessageBytes] = 100L * 1000 * 1000, [Quota.ApiRequestsPerHour] = 1_000,
        },
        ["pro"] = new()
        {
            [Quota.Members] = 50, [Quota.Licenses] = 200, [Quota.SeatsPerLicense] = 1_000, [Quota.Projects] = 100,
            [Quota.Messages] = 2_000_000, [Quota.MessageBytes] = 20L * 1000 * 1000 * 1000, [Quota.ApiRequestsPerHour] = 10_000,
        },
        ["enterprise"] = new()
        {
            [Quota.Members] = null, [Quota.Licenses] = null, [Quota.SeatsPerLicense] = null, [Quota.Projects] = null,
            [Quota.Messages] = null, [Quota.MessageBytes] = null, [Quota.ApiRequestsPerHour] = 100_000,
        },
    };

    private readonly Dictionary<string, Dictionary<Quota, long?>> _plans;

    public PlanCatalog(IConfiguration configuration, IOptions<BillingOptions> options)
    {
        _plans = Defaults.ToDictionary(p => p.Key, p => new Dictionary<Quota, long?>(p.Value), StringComparer.Ordinal);
        foreach (var section in configuration.GetSection(Section).GetChildren())
        {
            var limits = _plans.TryGetValue(section.Key, out var known) ? known : _plans[section.Key] = All(null);
            foreach (var quota in QuotaWire.All)
            {
                var value = section[quota.ToWire()];
                if (value is null)
                {
                    continue;
                }

                limits[quota] = value.Length == 0 ? null
                    : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit
                    : throw new InvalidOperationException($"{Section}:{section.Key}:{quota.ToWire()} must be a whole number of at least 0, or empty for unlimited.");
            }
        }

        DefaultPlan = options.Value.EffectiveDefaultPlan;
        if (!_plans.ContainsKey(DefaultPlan))
        {
            throw new InvalidOperationException($"Billing:DefaultPlan '{DefaultPlan}' is not a plan (free, pro, enterprise or a Plans:{{name}} section).");
        }

        if (!_plans.ContainsKey(options.Value.TrialPlan))
        {
            throw new InvalidOperationException($"Billing:TrialPlan '{options.Value.TrialPlan}' is not a plan.");
        }
    }

    /// <summary>The plan of an organization without a subscription in force.</summary>
    public string DefaultPlan { get; }

    public IEnumerable<string> Names => _plans.Keys;

    public bool Exists(string plan) => _plans.ContainsKey(plan);

    /// <summary>The plan's limit for the quota; null is unlimited (an unknown plan is the default plan).</summary>
    public long? Limit(string plan, Quota quota) =>
        (_plans.TryGetValue(plan, out var limits) ? limits : _plans[DefaultPlan])[quota];

    private static Dictionary<Quota, long?> All(long? limit) => QuotaWire.All.ToDictionary(q => q, _ => limit);
}
