using System.Net;
using Coditect.Contracts.Licensing;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Licensing;

/// <summary>Two server instances on one PostgreSQL database race for the same seats.</summary>
public sealed class TwoNodeTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Fact]
    public async Task Two_servers_on_one_database_never_hand_out_more_than_the_seats()
    {
        await using var secondNode = new SecondNode(app);
        var nodeA = app.Anonymous();
        var nodeB = new Client(secondNode.CreateClient(), app);
        var vendor = await nodeA.RegisterAsync();

        for (var round = 0; round < 3; round++)
        {
            var license = await vendor.CreateLicenseAsync(seats: 7);
            var responses = await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
                (i % 2 == 0 ? nodeA : nodeB).AcquireAsync(license.LicenseKey!, $"machine-{round}-{i}")));

            responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(7, $"round {round}");
            responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(113, $"round {round}");
            (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).SeatsUsed.ShouldBe(7);
        }
    }

    [Fact]
    public async Task A_lease_token_from_one_node_verifies_against_the_other_nodes_keys()
    {
        await using var secondNode = new SecondNode(app);
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await app.Anonymous().AcquireSeatAsync(license.LicenseKey!, "m");

        var jwksFromB = await new Client(secondNode.CreateClient(), app).Http.GetStringAsync($"/api/v1/orgs/{vendor.OrgId}/jwks.json");
        (await LeaseTokenVerifier.VerifyAsync(lease.LeaseToken, jwksFromB, app.Clock)).IsValid.ShouldBeTrue();
    }
}
