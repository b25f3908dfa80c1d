using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Licensing;

public abstract class SeatRaceTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Two_hundred_parallel_acquires_on_ten_seats_give_exactly_ten_sessions_every_time()
    {
        var vendor = await _anonymous.RegisterAsync();
        for (var round = 0; round < 5; round++)
        {
            var license = await vendor.CreateLicenseAsync(seats: 10);
            var responses = await Task.WhenAll(Enumerable.Range(0, 200)
                .Select(i => _anonymous.AcquireAsync(license.LicenseKey!, $"machine-{round}-{i}")));

            var statuses = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).Select(g => $"{g.Key} x{g.Count()}"));
            responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(10, $"round {round}: {statuses}");
            responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(190, $"round {round}: {statuses}");
            var denial = responses.First(r => r.StatusCode == HttpStatusCode.Conflict);
            var problem = await denial.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
            problem.GetProperty("seats_total").GetInt32().ShouldBe(10);

            var read = await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}");
            read.SeatsUsed.ShouldBe(10);
            var sessions = await vendor.Client.GetJsonAsync<PagedList<SessionResponse>>($"{vendor.OrgPath}/licenses/{license.Id}/sessions?status=active");
            sessions.Total.ShouldBe(10);
        }
    }

    [Fact]
    public async Task Twenty_parallel_acquires_with_one_hardware_id_make_one_session()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 5);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _anonymous.AcquireAsync(license.LicenseKey!, "same-machine")));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created || r.StatusCode == HttpStatusCode.OK);
        var sessionIds = new HashSet<Guid>();
        foreach (var response in responses)
        {
            sessionIds.Add((await response.ReadAsync<AcquireResponse>(response.StatusCode)).SessionId);
        }

        sessionIds.Count.ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).SeatsUsed.ShouldBe(1);
    }

    [Fact]
    public async Task Parallel_acquires_and_releases_never_exceed_the_seats()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 3);
        var holders = 0;
        var peak = 0;

        await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var response = await _anonymous.AcquireAsync(license.LicenseKey!, $"churn-{i}");
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    continue;
                }

                var lease = await response.ReadAsync<AcquireResponse>(HttpStatusCode.Created);
                var now = Interlocked.Increment(ref holders);
                InterlockedMax(ref peak, now);
                Interlocked.Decrement(ref holders); // count down before the release: the server may hand the seat on at once
                (await _anonymous.ReleaseAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
            }
        }));

        peak.ShouldBeLessThanOrEqualTo(3);
        (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).SeatsUsed.ShouldBe(0);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

public sealed class SeatRaceTestsOnSqlite(SqliteApp app) : SeatRaceTests<SqliteApp>(app);

public sealed class SeatRaceTestsOnPostgres(PostgresApp app) : SeatRaceTests<PostgresApp>(app);

public sealed class SeatRaceTestsOnRedis(RedisApp app) : SeatRaceTests<RedisApp>(app);
