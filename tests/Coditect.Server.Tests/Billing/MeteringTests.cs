using System.Net;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Server.Billing.Metering;
using Coditect.Server.Billing.Stripe;
using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Billing;

/// <summary>The pure seat-time arithmetic: exact overlaps of lease spans with clock hours.</summary>
public sealed class SeatTimeTests
{
    private static readonly DateTime Ten = new(2026, 3, 2, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_lease_across_an_hour_boundary_splits_its_time_exactly()
    {
        var license = Guid.NewGuid();
        var lease = new SeatTime.Lease(Guid.Empty, license, Ten.AddMinutes(50), Ten.AddMinutes(80), Ten.AddMinutes(200));

        var uses = SeatTime.Compute([lease], Ten, Ten.AddHours(2), Ten.AddHours(5));

        uses.Count.ShouldBe(2);
        uses[0].Hour.ShouldBe(Ten);
        uses[0].SeatHours.ShouldBe(1.0 / 6, 1e-9);
        uses[0].Acquisitions.ShouldBe(1);
        uses[1].Hour.ShouldBe(Ten.AddHours(1));
        uses[1].SeatHours.ShouldBe(1.0 / 3, 1e-9);
        uses[1].Acquisitions.ShouldBe(0);
    }

    [Fact]
    public void A_running_lease_counts_to_now_and_a_lapsed_one_to_its_expiry()
    {
        var license = Guid.NewGuid();
        var running = new SeatTime.Lease(Guid.Empty, license, Ten.AddMinutes(10), null, Ten.AddHours(3));
        var lapsed = new SeatTime.Lease(Guid.Empty, license, Ten.AddMinutes(20), null, Ten.AddMinutes(35)); // never swept

        var uses = SeatTime.Compute([running, lapsed], Ten, Ten.AddHours(1), now: Ten.AddMinutes(40));

        var use = uses.ShouldHaveSingleItem();
        use.SeatHours.ShouldBe((30 + 15) / 60.0, 1e-9);
        use.Acquisitions.ShouldBe(2);
        UsageMeter.SeatMinutes(use.SeatHours).ShouldBe(45);
    }

    [Fact]
    public void A_report_id_is_the_same_for_the_same_subscription_meter_and_hour_only()
    {
        UsageMeter.ReportId("sub_1", "seats", Ten).ShouldBe(UsageMeter.ReportId("sub_1", "seats", Ten));
        UsageMeter.ReportId("sub_1", "seats", Ten).ShouldNotBe(UsageMeter.ReportId("sub_1", "seats", Ten.AddHours(1)));
        UsageMeter.ReportId("sub_1", "seats", Ten).ShouldNotBe(UsageMeter.ReportId("sub_2", "seats", Ten));
        UsageMeter.ReportId("sub_1", "seats", Ten).ShouldNotBe(UsageMeter.ReportId("sub_1", "acquisitions", Ten));
    }
}

/// <summary>Stripe billing with both meters configured, and leases long enough to span an hour without heartbeats.</summary>
public abstract class MeterApp : StripeApp
{
    public const string SeatMeter = "coditect_seat_minutes";
    public const string AcquisitionMeter = "coditect_acquisitions";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Billing:Stripe:SeatMeterEvent", SeatMeter),
        new("Billing:Stripe:AcquisitionMeterEvent", AcquisitionMeter),
        new("Licensing:LeaseTtlSeconds", "3600"),
    ];
}

public sealed class MeterSqliteApp : MeterApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class MeterPostgresApp : MeterApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public abstract class MeteringTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeterApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Seat_hours_are_exact_shown_partial_then_closed_and_reported_once_per_hour_after_Stripe_was_down()
    {
        // 10:50 to 11:20 for one lease, 11:10 to 11:30 for another (the clock is moved to the next hour's 50th minute).
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var ten = SeatTime.HourOf(now).AddHours(1);
        app.Clock.Advance(ten.AddMinutes(50) - now);
        var owner = await _anonymous.RegisterAsync();
        var reader = _anonymous.WithBearer((await owner.CreateApiKeyAsync("admin")).Key!); // outlives the owner's token
        var license = await owner.CreateLicenseAsync(seats: 5);
        var key = license.LicenseKey!;
        var subscription = await SubscribeAsync(owner.OrgId);

        var first = await _anonymous.AcquireSeatAsync(key, "machine-a");
        app.Clock.Advance(TimeSpan.FromMinutes(20));
        var second = await _anonymous.AcquireSeatAsync(key, "machine-b");
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        (await _anonymous.ReleaseAsync(key, first.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // 11:20: hour 10 has ended but is not closed yet, hour 11 is running: both partial, computed from the leases.
        var running = await UsageAsync(reader, owner, ten, ten.AddHours(2));
        var partial = running.Items.Where(i => i.LicenseId == license.Id).ToList();
        partial.Count.ShouldBe(2);
        partial.ShouldAllBe(i => i.Partial);
        partial[0].Hour.ShouldBe(ten);
        partial[0].SeatHours.ShouldBe(1.0 / 6, 1e-5);
        partial[0].Acquisitions.ShouldBe(1);
        partial[1].SeatHours.ShouldBe(1.0 / 3 + 1.0 / 6, 1e-5); // the first lease's 20 minutes, the second's 10 so far
        partial[1].Acquisitions.ShouldBe(1);
        running.Totals.SeatHours.ShouldBe(2.0 / 3, 1e-5);
        running.Totals.Acquisitions.ShouldBe(2);

        app.Clock.Advance(TimeSpan.FromMinutes(10));
        (await _anonymous.ReleaseAsync(key, second.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // Stripe is down when the hours close: the reports are made and stay unreported.
        app.Stripe.MeterEventsDown = true;
        var meter = app.Services.GetRequiredService<UsageMeter>();
        app.Clock.Advance(ten.AddHours(2) + meter.Delay + TimeSpan.FromMinutes(1) - app.Clock.GetUtcNow().UtcDateTime);
        await meter.RunOnceAsync(CancellationToken.None);
        var refused = app.Stripe.MeterEventsRefused;
        refused.ShouldBeGreaterThan(0);
        var pending = await ReportsAsync(subscription);
        pending.Count.ShouldBe(4); // two hours, two meters
        pending.ShouldAllBe(r => r.ReportedAt == null);
        // The first in line was tried; the rest wait for Stripe to answer.
        pending.ShouldContain(r => r.Attempts >= 1 && r.LastError!.StartsWith("Stripe unreachable", StringComparison.Ordinal));
        MeterEvents(subscription).ShouldBeEmpty();

        // Stripe is back: each hour and meter is reported once, and never again.
        app.Stripe.MeterEventsDown = false;
        await meter.RunOnceAsync(CancellationToken.None);
        await meter.RunOnceAsync(CancellationToken.None);
        var events = MeterEvents(subscription);
        events.Count.ShouldBe(4);
        var reports = await ReportsAsync(subscription);
        reports.ShouldAllBe(r => r.ReportedAt != null && r.StripeIdentifier == r.Id.ToString());
        foreach (var sent in events)
        {
            sent.Method.ShouldBe("POST");
            sent.Authorization.ShouldBe($"Bearer {StripeApp.ApiKey}");
            sent.Form["payload[stripe_customer_id]"].ShouldBe("cus_" + subscription[4..]);
            sent.IdempotencyKey.ShouldBe("meter-" + sent.Form["identifier"]);
            reports.ShouldContain(r => r.Id.ToString() == sent.Form["identifier"]);
        }

        events.Select(e => e.Form["identifier"]).Distinct().Count().ShouldBe(4);
        Value(events, MeterApp.SeatMeter, ten).ShouldBe("10");             // 10:50-11:00
        Value(events, MeterApp.SeatMeter, ten.AddHours(1)).ShouldBe("40"); // 20 + 20 minutes
        Value(events, MeterApp.AcquisitionMeter, ten).ShouldBe("1");
        Value(events, MeterApp.AcquisitionMeter, ten.AddHours(1)).ShouldBe("1");
        events.Single(e => e.Form["event_name"] == MeterApp.SeatMeter && e.Form["payload[value]"] == "10").Form["identifier"]
            .ShouldBe(UsageMeter.ReportId(subscription, MeterApp.SeatMeter, ten).ToString());

        // The API shows the closed figures, the same as reported.
        var closed = await UsageAsync(reader, owner, ten, ten.AddHours(2));
        var hours = closed.Items.Where(i => i.LicenseId == license.Id).ToList();
        hours.Count.ShouldBe(2);
        hours.ShouldAllBe(i => !i.Partial);
        hours[0].SeatHours.ShouldBe(1.0 / 6, 1e-5);
        hours[1].SeatHours.ShouldBe(2.0 / 3, 1e-5);
        closed.Totals.SeatHours.ShouldBe(5.0 / 6, 1e-5);
        closed.Totals.Acquisitions.ShouldBe(2);
    }

    [Fact]
    public async Task A_bad_range_is_400_naming_the_field()
    {
        var owner = await _anonymous.RegisterAsync();
        var path = $"{owner.OrgPath}/billing/usage";

        (await (await owner.Client.GetAsync($"{path}?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("from", out _).ShouldBeTrue();
        (await (await owner.Client.GetAsync($"{path}?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("to", out _).ShouldBeTrue();
        (await (await owner.Client.GetAsync($"{path}?from=yesterday"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("from", out _).ShouldBeTrue();
        var empty = await owner.Client.GetJsonAsync<MeteredUsage>(path);
        empty.Items.ShouldBeEmpty();
        empty.Totals.ShouldBe(new MeteredTotals(0, 0));
    }

    [Fact]
    public async Task Members_without_billing_rights_cannot_read_usage()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");
        (await member.Client.GetAsync($"{owner.OrgPath}/billing/usage")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    private static string Value(IReadOnlyList<StripeRequest> events, string meter, DateTime hour) =>
        events.Single(e => e.Form["event_name"] == meter && e.Form["timestamp"] == new DateTimeOffset(hour).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Form["payload[value]"];

    private List<StripeRequest> MeterEvents(string subscription) =>
        [.. app.Stripe.To("/v1/billing/meter_events").Where(r => r.Form.GetValueOrDefault("payload[stripe_customer_id]") == "cus_" + subscription[4..])];

    private static Task<MeteredUsage> UsageAsync(Client reader, Caller owner, DateTime from, DateTime to) =>
        reader.GetJsonAsync<MeteredUsage>($"{owner.OrgPath}/billing/usage?from={from:yyyy-MM-ddTHH:mm:ssZ}&to={to:yyyy-MM-ddTHH:mm:ssZ}");

    private async Task<List<UsageReport>> ReportsAsync(string subscription)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        return await db.RunAsSystemAsync(() => db.Set<UsageReport>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.SubscriptionId == subscription).OrderBy(r => r.Hour).ThenBy(r => r.Meter).ToListAsync(), CancellationToken.None);
    }

    /// <summary>Makes the organization's Stripe subscription active with a signed <c>checkout.session.completed</c>; returns its id.</summary>
    private async Task<string> SubscribeAsync(Guid organizationId)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var created = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        var body = JsonSerializer.Serialize(new
        {
            id = $"evt_{tag}", @object = "event", api_version = "2025-03-31.basil", type = "checkout.session.completed", livemode = false, created,
            data = new
            {
                @object = new
                {
                    id = "cs_" + tag, @object = "checkout.session", mode = "subscription", client_reference_id = organizationId.ToString(),
                    customer = "cus_" + tag, subscription = "sub_" + tag, metadata = new { plan = "pro", seats = "3" },
                },
            },
        });
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/billing/stripe/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeSignature.Sign(body, StripeApp.Secret, created));
        (await _anonymous.Http.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.OK);
        return "sub_" + tag;
    }
}

public sealed class MeteringTestsOnSqlite(MeterSqliteApp app) : MeteringTests<MeterSqliteApp>(app);

public sealed class MeteringTestsOnPostgres(MeterPostgresApp app) : MeteringTests<MeterPostgresApp>(app);
