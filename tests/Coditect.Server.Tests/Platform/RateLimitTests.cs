using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Coditect.Server.Tests.Platform;

// One test per class: the fixture's limiter windows are shared by everything that runs on it.

public abstract class SignInRateLimitTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    [Fact]
    public async Task The_fourth_sign_in_attempt_in_a_minute_answers_429_RATE_LIMITED_with_Retry_After()
    {
        var anonymous = app.Anonymous();
        for (var i = 0; i < 3; i++)
        {
            var attempt = await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest("nobody@example.com", "wrong password!"));
            await attempt.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidCredentials);
        }

        var fourth = await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest("nobody@example.com", "wrong password!"));
        var register = await anonymous.PostAsync("/api/v1/auth/register",
            new RegisterRequest("late@example.com", "correct horse battery", "Late", "Late Org"));

        var problem = await fourth.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        var retryAfter = int.Parse(fourth.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, 60);
        problem.GetProperty("retry_after_seconds").GetInt32().ShouldBe(retryAfter);
        await register.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        (await anonymous.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK, "only the sign-in endpoints are limited per address");
    }
}

public abstract class ApiRateLimitTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    [Fact]
    public async Task Authenticated_calls_over_the_limit_answer_429_per_user_and_per_key()
    {
        var anonymous = app.Anonymous();
        var caller = await anonymous.RegisterAsync();
        var other = await anonymous.RegisterAsync();
        var key = await caller.CreateApiKeyAsync("admin"); // the caller's first call

        for (var i = 0; i < TightLimits.ApiPerMinute - 1; i++)
        {
            (await caller.Client.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var over = await caller.Client.GetAsync("/api/v1/me");

        await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        over.Headers.RetryAfter.ShouldNotBeNull();
        (await other.Client.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK, "another user has a budget of their own");
        var bot = anonymous.WithBearer(key.Key!);
        for (var i = 0; i < TightLimits.ApiPerMinute; i++)
        {
            (await bot.GetAsync(caller.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await (await bot.GetAsync(caller.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
    }
}

internal static class TightLimits
{
    public const string SignIn = "3"; // the test makes three attempts, then the fourth
    public const int ApiPerMinute = 5;
    public static readonly string Api = ApiPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class SignInLimitedSqliteApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("RateLimits:SignInPerMinute", TightLimits.SignIn)];
}

public sealed class SignInLimitedPostgresApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("RateLimits:SignInPerMinute", TightLimits.SignIn)];
}

public sealed class ApiLimitedSqliteApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("RateLimits:ApiPerMinute", TightLimits.Api)];
}

public sealed class ApiLimitedPostgresApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("RateLimits:ApiPerMinute", TightLimits.Api)];
}

public sealed class SignInRateLimitTestsOnSqlite(SignInLimitedSqliteApp app) : SignInRateLimitTests<SignInLimitedSqliteApp>(app);

public sealed class SignInRateLimitTestsOnPostgres(SignInLimitedPostgresApp app) : SignInRateLimitTests<SignInLimitedPostgresApp>(app);

public sealed class ApiRateLimitTestsOnSqlite(ApiLimitedSqliteApp app) : ApiRateLimitTests<ApiLimitedSqliteApp>(app);

public sealed class ApiRateLimitTestsOnPostgres(ApiLimitedPostgresApp app) : ApiRateLimitTests<ApiLimitedPostgresApp>(app);

/// <summary>With Redis, several nodes share one budget: three nodes do not allow three times the limit.</summary>
public sealed class SharedRateLimitTests(SharedRateLimitTests.App app) : IClassFixture<SharedRateLimitTests.App>
{
    public sealed class App : CoditectApp
    {
        private readonly string _redis = TestRedis.NextDatabase().ConnectionString;

        public override DatabaseProvider Provider => DatabaseProvider.Postgres;

        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
            [new("ConnectionStrings:Redis", _redis), new("RateLimits:SignInPerMinute", TightLimits.SignIn)];

        /// <summary>Another server process's worth of host on the same database and Redis.</summary>
        public WebApplicationFactory<Program> SecondNode() => WithWebHostBuilder(_ => { });
    }

    [Fact]
    public async Task Sign_in_attempts_on_two_nodes_count_against_one_limit()
    {
        await using var second = app.SecondNode();
        var nodeA = app.Anonymous();
        var nodeB = new Client(second.CreateClient(), app);

        foreach (var node in new[] { nodeA, nodeB, nodeA })
        {
            var attempt = await node.PostAsync("/api/v1/auth/login", new LoginRequest("nobody@example.com", "wrong password!"));
            await attempt.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidCredentials);
        }

        var fourth = await nodeB.PostAsync("/api/v1/auth/login", new LoginRequest("nobody@example.com", "wrong password!"));
        await fourth.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        fourth.Headers.RetryAfter.ShouldNotBeNull();
    }
}
