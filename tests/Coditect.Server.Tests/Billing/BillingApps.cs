using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Billing;

/// <summary>
/// A server whose organizations start on the free plan (the default without a payment provider is enterprise, which
/// caps nothing), with the default limits and a product licence in the pro and enterprise plans.
/// </summary>
public abstract class BillingApp : CoditectApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Billing:DefaultPlan", "free"),
        new("Billing:ProductLicense:Name", "Coditect Pro"),
        new("Billing:ProductLicense:TrialSeats", "5"),
        new("Plans:team:projects", "4"),
        new("Plans:team:members", ""),
        new("Plans:tiny:messages", "3"),
        new("Plans:tiny:message_bytes", "400"),
    ];
}

public sealed class BillingSqliteApp : BillingApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class BillingPostgresApp : BillingApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
