using System.Net;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Platform;

/// <summary>The transactional outbox: events commit with their change and reach both kinds of subscriber.</summary>
public abstract class OutboxTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : ProbedApp
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_change_and_its_event_commit_together_and_this_node_hears_it_before_the_answer()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);

        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);

        // Delivered to this node's every-node subscribers before the answer left.
        var heard = app.Probe.EveryNode.Where(d => d.Message.TenantId == vendor.OrgId).Select(d => d.Message).ToList();
        heard.Select(m => m.Type).ShouldBe(["license.created", "license.suspended"]);
        heard[1].ObjectId.ShouldBe(license.Id);
        heard[1].Data.GetProperty("status").GetString().ShouldBe("suspended");
        heard[1].Data.GetProperty("license_key").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null, "an event never carries the key");
        heard.Select(m => m.Seq).ShouldBe([1L, 2L]);

        var stored = await StoredAsync(vendor.OrgId);
        stored.Select(e => e.Type).ShouldBe(["license.created", "license.suspended"]);
    }

    [Fact]
    public async Task A_failed_request_raises_nothing()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);

        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/renew", new { expires_at = DateTime.UtcNow.AddDays(-1) }))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await StoredAsync(vendor.OrgId)).Select(e => e.Type).ShouldBe(["license.created"]);
    }

    [Fact]
    public async Task An_event_raised_in_a_transaction_that_rolls_back_is_never_stored_nor_delivered()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var marker = Guid.NewGuid();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<TenantScope>().EnterAsync(vendor.OrgId, CancellationToken.None);
            await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().RaiseAsync("test.rolled_back", new { id = marker }, CancellationToken.None);
            // disposed without a commit: rolled back
        }

        await RaiseCommittedAsync(vendor.OrgId, "test.after", Guid.NewGuid());
        await Eventually.ShouldHoldAsync(() => app.Probe.Cluster.Any(d => d.Message.TenantId == vendor.OrgId && d.Message.Type == "test.after"), Soon,
            "the committed event reaches the cluster subscriber");
        app.Probe.EveryNode.Concat(app.Probe.Cluster).ShouldNotContain(d => d.Message.ObjectId == marker);
        (await StoredAsync(vendor.OrgId)).ShouldNotContain(e => e.Type == "test.rolled_back");
    }

    [Fact]
    public async Task The_cluster_subscriber_gets_each_event_once_in_commit_order_per_organization()
    {
        var vendors = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => app.Anonymous().RegisterAsync()));
        var licenses = await Task.WhenAll(vendors.Select(v => v.CreateLicenseAsync(seats: 1)));

        // Concurrent changes in each organization: their numbers must follow commit order.
        await Task.WhenAll(vendors.SelectMany((vendor, i) => Enumerable.Range(0, 10).Select(n =>
            vendor.Client.PatchAsync($"{vendor.OrgPath}/licenses/{licenses[i].Id}", new { seats_total = 2 + n }))));

        foreach (var vendor in vendors)
        {
            await Eventually.ShouldHoldAsync(() => app.Probe.Cluster.Count(d => d.Message.TenantId == vendor.OrgId) >= 11, Soon,
                $"11 events of {vendor.OrgSlug} delivered");
            var delivered = app.Probe.Cluster.Where(d => d.Message.TenantId == vendor.OrgId).OrderBy(d => d.Order).ToList();
            delivered.Select(d => d.Message.Seq).ShouldBe(Enumerable.Range(1, 11).Select(n => (long)n), "each once, in order");
            var stored = await StoredAsync(vendor.OrgId);
            delivered.Select(d => d.Message.Id).ShouldBe(stored.OrderBy(e => e.Seq).Select(e => e.Id));
        }
    }

    [Fact]
    public async Task A_failing_cluster_subscriber_is_retried_and_the_organizations_later_events_wait_for_it()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        app.Probe.FailCluster["test.flaky"] = 2;

        await RaiseCommittedAsync(vendor.OrgId, "test.flaky", Guid.NewGuid());
        await RaiseCommittedAsync(vendor.OrgId, "test.after_flaky", Guid.NewGuid());

        await Eventually.ShouldHoldAsync(() =>
        {
            app.Clock.Advance(TimeSpan.FromMilliseconds(500)); // the backoff runs on the server's clock
            return app.Probe.Cluster.Any(d => d.Message.Type == "test.after_flaky" && d.Message.TenantId == vendor.OrgId);
        }, TimeSpan.FromSeconds(20), "delivered after two failures (backoff 1 s, then 2 s)");
        app.Probe.Cluster.Where(d => d.Message.TenantId == vendor.OrgId).OrderBy(d => d.Order).Select(d => d.Message.Type)
            .ShouldBe(["test.flaky", "test.after_flaky"]);
    }

    [Fact]
    public async Task Raising_outside_a_transaction_or_an_organization_is_refused()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        (await Should.ThrowAsync<InvalidOperationException>(() => db.RaiseAsync("test.nowhere", new { id = Guid.NewGuid() }, CancellationToken.None)))
            .Message.ShouldContain("organization");
        db.Tenant.SetTenant(Guid.NewGuid());
        (await Should.ThrowAsync<InvalidOperationException>(() => db.RaiseAsync("test.nowhere", new { id = Guid.NewGuid() }, CancellationToken.None)))
            .Message.ShouldContain("transaction");
    }

    private async Task RaiseCommittedAsync(Guid tenantId, string type, Guid id)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenancy.EnterAsync(tenantId, CancellationToken.None);
        await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().RaiseAsync(type, new { id }, CancellationToken.None);
        await tenancy.CommitAsync(CancellationToken.None);
    }

    private async Task<List<OutboxEvent>> StoredAsync(Guid tenantId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenancy.EnterAsync(tenantId, CancellationToken.None);
        return await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<OutboxEvent>().OrderBy(e => e.Seq).ToListAsync();
    }
}

public sealed class OutboxTestsOnSqlite(ProbedSqliteApp app) : OutboxTests<ProbedSqliteApp>(app);

public sealed class OutboxTestsOnPostgres(ProbedPostgresApp app) : OutboxTests<ProbedPostgresApp>(app);

/// <summary>Two nodes on one PostgreSQL database: each hears the other's events, and the cluster kind is delivered once.</summary>
public sealed class OutboxClusterTests(ProbedPostgresApp app) : IClassFixture<ProbedPostgresApp>
{
    [Fact]
    public async Task The_other_node_hears_an_event_within_a_second_and_the_cluster_subscriber_gets_it_once()
    {
        await using var nodeB = new SecondNode(app, services => app.Probe.AddTo(services, "b"));
        var clientB = nodeB.Anonymous();
        var vendor = await app.Anonymous().RegisterAsync();
        var licenses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => vendor.CreateLicenseAsync(seats: 1)));
        var onB = await clientB.RegisterAsync();
        var licenseOnB = await onB.CreateLicenseAsync(seats: 1);

        await Eventually.ShouldHoldAsync(() => licenses.All(l => app.Probe.EveryNode.Any(d => d.Node == "b" && d.Message.ObjectId == l.Id)),
            TimeSpan.FromSeconds(3), "node b hears node a's events");
        await Eventually.ShouldHoldAsync(() => app.Probe.EveryNode.Any(d => d.Node == "a" && d.Message.ObjectId == licenseOnB.Id),
            TimeSpan.FromSeconds(3), "node a hears node b's event");
        await Eventually.ShouldHoldAsync(() => app.Probe.Cluster.Count(d => d.Message.TenantId == vendor.OrgId) == 5,
            TimeSpan.FromSeconds(10), "five cluster deliveries");
        await Task.Delay(1500); // a second pass of both dispatchers delivers nothing again
        app.Probe.Cluster.Where(d => d.Message.TenantId == vendor.OrgId).Select(d => d.Message.Seq).OrderBy(s => s)
            .ShouldBe([1L, 2L, 3L, 4L, 5L]);
        app.Probe.EveryNode.Count(d => d.Node == "a" && d.Message.TenantId == vendor.OrgId).ShouldBe(5, "node a delivered its own events once");
    }
}
