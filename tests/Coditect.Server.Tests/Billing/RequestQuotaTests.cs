using System.Net;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Server.Billing;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Billing;

/// <summary>Tiny hourly request quotas: 5 calls an hour per caller on free (the default plan), 8 on pro.</summary>
public abstract class RequestQuotaApp : CoditectApp
{
    public const int Free = 5;
    public const int Pro = 8;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Billing:DefaultPlan", "free"),
        new("Plans:free:api_requests_per_hour", Free.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Plans:pro:api_requests_per_hour", Pro.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

public sealed class RequestQuotaSqliteApp : RequestQuotaApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class RequestQuotaPostgresApp : RequestQuotaApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>PostgreSQL with Redis: the counts are shared by every node through Redis.</summary>
public sealed class RequestQuotaRedisApp : RequestQuotaApp
{
    private readonly (string ConnectionString, int Database) _redis = TestRedis.NextDatabase();

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings, new("ConnectionStrings:Redis", _redis.ConnectionString)];
}

// One test per class: the fixture's hourly counts are shared by everything that runs on it.
public abstract class RequestQuotaTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : RequestQuotaApp
{
    [Fact]
    public async Task Calls_over_the_plans_hourly_quota_answer_429_per_caller_until_the_next_hour_and_the_lease_protocol_never_counts()
    {
        // A minute into an hour, so the test's calls all fall in it.
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var hour = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerHour), DateTimeKind.Utc).AddHours(1);
        app.Clock.Advance(hour.AddMinutes(1) - now);
        var anonymous = app.Anonymous();
        var owner = await anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("admin");                 // 1
        var license = await owner.CreateLicenseAsync(seats: 2);           // 2
        for (var i = 0; i < 20; i++)
        {
            await anonymous.ValidateAsync(license.LicenseKey!, "machine"); // 200 each: licence keys are not counted
        }

        for (var i = 3; i <= RequestQuotaApp.Free; i++)
        {
            (await owner.Client.GetAsync($"{owner.OrgPath}/usage")).StatusCode.ShouldBe(HttpStatusCode.OK, $"call {i}");
        }

        var over = await owner.Client.GetAsync($"{owner.OrgPath}/usage");

        var problem = await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        problem.GetProperty("quota").GetString().ShouldBe(QuotaNames.ApiRequestsPerHour);
        problem.GetProperty("limit").GetInt64().ShouldBe(RequestQuotaApp.Free);
        problem.GetProperty("used").GetInt64().ShouldBe(RequestQuotaApp.Free + 1);
        problem.GetProperty("plan").GetString().ShouldBe("free");
        var retryAfter = int.Parse(over.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(58 * 60, 59 * 60, "until the next clock hour");
        problem.GetProperty("retry_after_seconds").GetInt32().ShouldBe(retryAfter);
        (await anonymous.AcquireAsync(license.LicenseKey!, "machine")).StatusCode.ShouldBe(HttpStatusCode.Created, "the lease protocol is not counted");
        (await owner.Client.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK, "only organization routes count");

        // The API key is another caller, with a budget of its own.
        var bot = anonymous.WithBearer(key.Key!);
        for (var i = 1; i <= RequestQuotaApp.Free; i++)
        {
            (await bot.GetAsync($"{owner.OrgPath}/licenses")).StatusCode.ShouldBe(HttpStatusCode.OK, $"key call {i}");
        }

        await (await bot.GetAsync($"{owner.OrgPath}/licenses")).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);

        // A bigger plan raises the limit at once; refused calls counted too (used 6 of 8 after the refusal).
        var staff = await anonymous.RegisterStaffAsync();
        await staff.SetPlanOkAsync(owner.OrgId, "pro");
        (await owner.Client.GetAsync($"{owner.OrgPath}/usage")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetAsync($"{owner.OrgPath}/usage")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var overPro = await (await owner.Client.GetAsync($"{owner.OrgPath}/usage")).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        overPro.GetProperty("limit").GetInt64().ShouldBe(RequestQuotaApp.Pro);
        overPro.GetProperty("plan").GetString().ShouldBe("pro");

        // The next clock hour starts a new count.
        app.Clock.Advance(TimeSpan.FromMinutes(59));
        (await bot.GetAsync($"{owner.OrgPath}/licenses")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class RequestQuotaTestsOnSqlite(RequestQuotaSqliteApp app) : RequestQuotaTests<RequestQuotaSqliteApp>(app);

public sealed class RequestQuotaTestsOnPostgres(RequestQuotaPostgresApp app) : RequestQuotaTests<RequestQuotaPostgresApp>(app);

public sealed class RequestQuotaTestsOnRedis(RequestQuotaRedisApp app) : RequestQuotaTests<RequestQuotaRedisApp>(app);

/// <summary>The in-memory counter: per key and clock hour, ended hours dropped.</summary>
public sealed class MemoryHourlyCounterTests
{
    [Fact]
    public async Task Counts_per_key_and_hour_and_drops_ended_hours()
    {
        var counter = new MemoryHourlyCounter();
        var ten = new DateTime(2026, 3, 2, 10, 0, 0, DateTimeKind.Utc);

        (await counter.IncrementAsync("a", ten, CancellationToken.None)).ShouldBe(1);
        (await counter.IncrementAsync("a", ten, CancellationToken.None)).ShouldBe(2);
        (await counter.IncrementAsync("b", ten, CancellationToken.None)).ShouldBe(1);
        (await counter.IncrementAsync("a", ten.AddHours(1), CancellationToken.None)).ShouldBe(1);
        (await counter.IncrementAsync("a", ten.AddHours(1), CancellationToken.None)).ShouldBe(2);
        (await counter.IncrementAsync("b", ten.AddHours(1), CancellationToken.None)).ShouldBe(1);
    }
}
