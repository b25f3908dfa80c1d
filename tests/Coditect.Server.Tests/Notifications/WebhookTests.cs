using System.Net;
using System.Security.Cryptography;
using System.Text;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Notifications;
using Coditect.Server.Data;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Notifications;

/// <summary>Loopback receivers allowed (tests), a short retry schedule, a quick poll.</summary>
public abstract class WebhookApp : CoditectApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Webhooks:AllowPrivateNetworks", "true"),
        new("Webhooks:RetrySchedule", "1m,1m"),
        new("Webhooks:PollMilliseconds", "100"),
    ];
}

public sealed class WebhookAppOnSqlite : WebhookApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class WebhookAppOnPostgres : WebhookApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public abstract partial class WebhookTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WebhookApp
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    /// <summary>The fixture, for the other parts of this class (a primary constructor's parameter is seen only here).</summary>
    private TApp App => app;

    /// <summary>The documented check (docs/webhooks.md), written from the spec rather than with the server's code.</summary>
    private static bool SignedWith(string secret, ReceivedWebhook hook)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{hook.Id}.{hook.Timestamp}.{hook.Body}")));
        return hook.Signature.Split(' ').Contains(expected);
    }

    /// <summary>The vendor's client through an owner API key: it outlives the access token when a test moves the clock by days.</summary>
    private static async Task<Client> LastingClientAsync(Caller vendor)
    {
        var key = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/api-keys", new Coditect.Contracts.Organizations.CreateApiKeyRequest("webhook tests", "owner")))
            .ReadAsync<Coditect.Contracts.Organizations.ApiKeyResponse>(HttpStatusCode.Created);
        return vendor.Client.WithBearer(key.Key!);
    }

    private static async Task<WebhookResponse> CreateEndpointAsync(Caller vendor, string url, params string[] types)
    {
        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/webhooks", new CreateWebhookRequest(url, "Test receiver", types, null));
        return await response.ReadAsync<WebhookResponse>(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_licence_change_reaches_the_endpoint_signed_with_its_secret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        var endpoint = await CreateEndpointAsync(vendor, receiver.Url);
        endpoint.Secret.ShouldNotBeNull().ShouldStartWith("whsec_");

        var license = await vendor.CreateLicenseAsync(seats: 3);

        await Eventually.ShouldHoldAsync(() => receiver.OfType("license.created").Count == 1, Within, "the receiver gets license.created");
        var hook = receiver.OfType("license.created").Single();
        hook.Id.ShouldStartWith("msg_");
        hook.ContentType.ShouldStartWith("application/json");
        Math.Abs(hook.Timestamp - app.Clock.GetUtcNow().ToUnixTimeSeconds()).ShouldBeLessThan(600, "the server's clock, which these tests move");
        SignedWith(endpoint.Secret!, hook).ShouldBeTrue(hook.Signature);
        SignedWith(WebhookSignature.NewSecret(), hook).ShouldBeFalse();
        hook.Json.GetProperty("data").GetProperty("id").GetGuid().ShouldBe(license.Id);
        var data = hook.Json.GetProperty("data");
        (!data.TryGetProperty("license_key", out var key) || key.ValueKind == System.Text.Json.JsonValueKind.Null).ShouldBeTrue("the key never travels in an event");
        hook.Json.GetProperty("timestamp").GetString().ShouldNotBeNullOrEmpty();

        // The secret is shown once: never again on reads.
        (await vendor.Client.GetJsonAsync<WebhookResponse>($"{vendor.OrgPath}/webhooks/{endpoint.Id}")).Secret.ShouldBeNull();
        var log = await vendor.Client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{vendor.OrgPath}/webhooks/{endpoint.Id}/deliveries");
        await Eventually.ShouldHoldAsync(async () =>
            (await vendor.Client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{vendor.OrgPath}/webhooks/{endpoint.Id}/deliveries?status=succeeded")).Items.Count == 1,
            Within, "the log shows the delivery succeeded");
        log.Items.ShouldAllBe(d => d.EventType == "license.created");
    }

    [Fact]
    public async Task An_endpoint_gets_only_the_types_it_subscribes_to()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        await CreateEndpointAsync(vendor, receiver.Url, "license.suspended");
        var license = await vendor.CreateLicenseAsync(seats: 1);

        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await Eventually.ShouldHoldAsync(() => receiver.OfType("license.suspended").Count == 1, Within, "the suspension arrives");
        receiver.Received.ShouldAllBe(r => r.Type == "license.suspended");
    }

    [Fact]
    public async Task A_receiver_that_fails_then_recovers_gets_the_event_and_the_log_shows_each_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = 503;
        var vendor = await app.Anonymous().RegisterAsync();
        var endpoint = await CreateEndpointAsync(vendor, receiver.Url, "license.*");
        await vendor.CreateLicenseAsync(seats: 1);
        await Eventually.ShouldHoldAsync(() => receiver.Received.Count == 1, Within, "the first attempt");
        var path = $"{vendor.OrgPath}/webhooks/{endpoint.Id}";
        await Eventually.ShouldHoldAsync(async () => (await vendor.Client.GetJsonAsync<WebhookResponse>(path)).FailingSince is not null,
            Within, "the failure is recorded");

        receiver.Status = 200;
        app.Clock.Advance(TimeSpan.FromMinutes(2)); // past the first retry (1 min, +-10 %)

        await Eventually.ShouldHoldAsync(() => receiver.Received.Count == 2, Within, "the retry");
        var first = receiver.Received.First();
        var second = receiver.Received.Last();
        second.Id.ShouldBe(first.Id, "a retry keeps its webhook-id");
        second.Body.ShouldBe(first.Body);
        await Eventually.ShouldHoldAsync(async () => (await vendor.Client.GetJsonAsync<WebhookResponse>(path)).FailingSince is null,
            Within, "a success ends the failing streak");
        var deliveries = await vendor.Client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{path}/deliveries");
        var delivery = await vendor.Client.GetJsonAsync<WebhookDeliveryResponse>($"{path}/deliveries/{deliveries.Items.Single().Id}");
        delivery.Status.ShouldBe(DeliveryStatus.Succeeded);
        delivery.AttemptCount.ShouldBe(2);
        delivery.Attempts!.Select(a => a.StatusCode).ShouldBe([503, 200]);
        delivery.Attempts![0].Response.ShouldBe("down for maintenance");
        delivery.Attempts!.ShouldAllBe(a => a.LatencyMs >= 0);
    }

    [Fact]
    public async Task A_delivery_fails_after_the_last_retry_and_a_week_of_failures_turns_the_endpoint_off()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = 500;
        var vendor = await app.Anonymous().RegisterAsync();
        var client = await LastingClientAsync(vendor); // first: its api_key.created is not for the endpoint below
        var endpoint = await CreateEndpointAsync(vendor, receiver.Url);
        var path = $"{vendor.OrgPath}/webhooks/{endpoint.Id}";
        await vendor.CreateLicenseAsync(seats: 1);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await Eventually.ShouldHoldAsync(() => receiver.Received.Count == attempt, Within, $"attempt {attempt}");
            // The clock moves only once the attempt is recorded: its next try is scheduled from the time of recording.
            await Eventually.ShouldHoldAsync(async () =>
                (await client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{path}/deliveries")).Items.Single().AttemptCount == attempt,
                Within, $"attempt {attempt} recorded");
            app.Clock.Advance(TimeSpan.FromMinutes(2));
        }

        await Eventually.ShouldHoldAsync(async () =>
            (await client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{path}/deliveries?status=failed")).Items.Count == 1,
            Within, "two retries, then failed");
        await Task.Delay(500);
        receiver.Received.Count.ShouldBe(3, "no attempt after the schedule ends");

        // Still failing six days later: the next failure turns it off.
        app.Clock.Advance(TimeSpan.FromDays(6));
        (await client.PostAsync($"{path}/test")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ShouldHoldAsync(async () => !(await client.GetJsonAsync<WebhookResponse>(path)).Enabled, Within, "turned off");
        var off = await client.GetJsonAsync<WebhookResponse>(path);
        off.DisabledReason.ShouldNotBeNull().ShouldContain("5 days");
        await Eventually.ShouldHoldAsync(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            return await db.Set<Coditect.Server.Notifications.Email.OutgoingMail>()
                .AnyAsync(m => m.ToAddress == vendor.Email && m.Kind == "webhook_disabled" && m.Subject == "A webhook endpoint was turned off");
        }, Within, "the owner is mailed");

        var on = await (await client.PatchAsync(path, new UpdateWebhookRequest(null, null, null, true))).ReadAsync<WebhookResponse>(HttpStatusCode.OK);
        on.Enabled.ShouldBeTrue();
        on.DisabledReason.ShouldBeNull();
        on.FailingSince.ShouldBeNull();
    }

    [Fact]
    public async Task A_test_event_and_a_redelivery_reach_the_receiver_with_the_same_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        var endpoint = await CreateEndpointAsync(vendor, receiver.Url, "license.deleted");
        var path = $"{vendor.OrgPath}/webhooks/{endpoint.Id}";

        var test = await (await vendor.Client.PostAsync($"{path}/test")).ReadAsync<WebhookDeliveryResponse>(HttpStatusCode.Accepted);
        test.EventType.ShouldBe(WebhookAdmin.TestEventType);
        await Eventually.ShouldHoldAsync(() => receiver.OfType("webhook.test").Count == 1, Within, "the test event");

        (await vendor.Client.PostAsync($"{path}/deliveries/{test.Id}/redeliver")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ShouldHoldAsync(() => receiver.OfType("webhook.test").Count == 2, Within, "the redelivery");
        receiver.Received.Select(r => r.Id).Distinct().Count().ShouldBe(1);
        receiver.Received.ShouldAllBe(r => SignedWith(endpoint.Secret!, r));
    }

    [Fact]
    public async Task The_delivery_log_and_the_endpoint_list_page_by_cursor()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        var endpoints = new List<WebhookResponse>();
        for (var i = 0; i < 3; i++)
        {
            endpoints.Add(await CreateEndpointAsync(vendor, $"{receiver.Url}?n={i}", "license.deleted"));
        }

        var path = $"{vendor.OrgPath}/webhooks/{endpoints[0].Id}";
        var sent = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add((await (await vendor.Client.PostAsync($"{path}/test")).ReadAsync<WebhookDeliveryResponse>(HttpStatusCode.Accepted)).Id);
        }

        var first = await vendor.Client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{path}/deliveries?page_size=2");
        first.Items.Count.ShouldBe(2);
        var second = await vendor.Client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>(
            $"{path}/deliveries?page_size=2&cursor={Uri.EscapeDataString(first.NextCursor.ShouldNotBeNull())}");
        second.NextCursor.ShouldBeNull();
        first.Items.Concat(second.Items).Select(d => d.Id).ShouldBe(Enumerable.Reverse(sent), "newest first, each once");

        var list = await vendor.Client.GetJsonAsync<CursorPage<WebhookResponse>>($"{vendor.OrgPath}/webhooks?page_size=2&sort=-created_at");
        list.Items.Select(e => e.Id).ShouldBe([endpoints[2].Id, endpoints[1].Id]);
        (await (await vendor.Client.GetAsync($"{vendor.OrgPath}/webhooks?sort=secret")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed))
            .GetProperty("errors").TryGetProperty("sort", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Membership_invitation_and_api_key_changes_are_events_without_their_secrets()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        await CreateEndpointAsync(vendor, receiver.Url, "membership.*", "invitation.*", "api_key.*");
        var email = $"joiner-{Guid.NewGuid():N}@example.com";
        var invitation = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/invitations", new Coditect.Contracts.Organizations.CreateInvitationRequest(email, "member")))
            .ReadAsync<Coditect.Contracts.Organizations.InvitationResponse>(HttpStatusCode.Created);
        var joined = await app.Anonymous().PostAsync("/api/v1/auth/register",
            new Coditect.Contracts.Identity.RegisterRequest(email, "correct horse battery staple", "Joiner", null, invitation.Token));
        var joiner = await joined.ReadAsync<Coditect.Contracts.Identity.TokenResponse>(HttpStatusCode.Created);
        (await vendor.Client.PatchAsync($"{vendor.OrgPath}/members/{joiner.User.Id}", new Coditect.Contracts.Organizations.UpdateMemberRequest("admin"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await vendor.Client.DeleteAsync($"{vendor.OrgPath}/members/{joiner.User.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var key = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/api-keys", new Coditect.Contracts.Organizations.CreateApiKeyRequest("ci", "member")))
            .ReadAsync<Coditect.Contracts.Organizations.ApiKeyResponse>(HttpStatusCode.Created);
        (await vendor.Client.DeleteAsync($"{vendor.OrgPath}/api-keys/{key.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        string[] expected = ["invitation.created", "invitation.accepted", "membership.created", "membership.updated", "membership.deleted", "api_key.created", "api_key.revoked"];
        await Eventually.ShouldHoldAsync(() => expected.All(t => receiver.OfType(t).Count == 1), Within, "one of each: " + string.Join(", ", expected));
        receiver.Received.Select(r => r.Type).ShouldBe(expected, ignoreOrder: true, "each once (delivery is not ordered)");
        receiver.OfType("membership.updated").Single().Json.GetProperty("data").GetProperty("role").GetString().ShouldBe("admin");
        receiver.OfType("invitation.created").Single().Json.GetProperty("data").GetProperty("email").GetString().ShouldBe(email);
        foreach (var hook in receiver.Received)
        {
            hook.Body.ShouldNotContain(invitation.Token!);
            hook.Body.ShouldNotContain(key.Key!);
        }
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_sign()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        var client = await LastingClientAsync(vendor); // first: its api_key.created is not for the endpoint below
        var endpoint = await CreateEndpointAsync(vendor, receiver.Url);
        var path = $"{vendor.OrgPath}/webhooks/{endpoint.Id}";

        var rotated = await (await client.PostAsync($"{path}/rotate-secret")).ReadAsync<WebhookResponse>(HttpStatusCode.OK);
        rotated.Secret.ShouldNotBeNull().ShouldNotBe(endpoint.Secret);
        (await client.PostAsync($"{path}/test")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ShouldHoldAsync(() => receiver.Received.Count == 1, Within, "the test event");
        var hook = receiver.Received.Single();
        hook.Signature.Split(' ').Length.ShouldBe(2);
        SignedWith(rotated.Secret!, hook).ShouldBeTrue();
        SignedWith(endpoint.Secret!, hook).ShouldBeTrue();
        // The clock moves only once the attempt is recorded: a day's jump would otherwise outlast its claim and send it again.
        await Eventually.ShouldHoldAsync(async () =>
            (await client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{path}/deliveries?status=succeeded")).Items.Count == 1,
            Within, "the test event recorded");

        app.Clock.Advance(Coditect.Server.Notifications.Webhooks.WebhookAdmin.RotationOverlap + TimeSpan.FromMinutes(1));
        (await client.PostAsync($"{path}/test")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ShouldHoldAsync(() => receiver.Received.Count == 2, Within, "the second test event");
        var later = receiver.Received.Last();
        SignedWith(rotated.Secret!, later).ShouldBeTrue();
        SignedWith(endpoint.Secret!, later).ShouldBeFalse("the old secret stops signing after 24 hours");
    }

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("/relative")]
    [InlineData("https://user:pass@example.com/hook")]
    public async Task A_bad_url_is_400_naming_the_field(string url)
    {
        var vendor = await app.Anonymous().RegisterAsync();

        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/webhooks", new CreateWebhookRequest(url, null, null, null));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("url", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task An_unknown_event_type_is_400_and_the_catalog_lists_the_known_ones()
    {
        var vendor = await app.Anonymous().RegisterAsync();

        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/webhooks",
            new CreateWebhookRequest("https://example.com/hook", null, ["license.exploded"], null));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("event_types", out _).ShouldBeTrue();
        var catalog = await app.Anonymous().GetJsonAsync<WebhookEventTypesResponse>("/api/v1/webhooks/event-types");
        catalog.EventTypes.ShouldContain("license.created");
        catalog.EventTypes.ShouldContain("session.kicked");
    }

    [Fact]
    public async Task Another_organizations_endpoint_is_404_and_a_member_may_not_manage_webhooks()
    {
        var owner = await app.Anonymous().RegisterAsync();
        var endpoint = await CreateEndpointAsync(owner, "https://example.com/hook");
        var stranger = await app.Anonymous().RegisterAsync();
        var member = await owner.AddMemberAsync("member");

        foreach (var path in new[] { $"{stranger.OrgPath}/webhooks/{endpoint.Id}", $"{stranger.OrgPath}/webhooks/{endpoint.Id}/deliveries" })
        {
            await (await stranger.Client.GetAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WebhookNotFound);
        }

        await (await stranger.Client.DeleteAsync($"{stranger.OrgPath}/webhooks/{endpoint.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WebhookNotFound);
        (await member.Client.GetAsync($"{owner.OrgPath}/webhooks")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.Client.GetAsync($"{owner.OrgPath}/webhooks/{endpoint.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class WebhookTestsOnSqlite(WebhookAppOnSqlite app) : WebhookTests<WebhookAppOnSqlite>(app);

public sealed class WebhookTestsOnPostgres(WebhookAppOnPostgres app) : WebhookTests<WebhookAppOnPostgres>(app);

/// <summary>Where a webhook may go when private networks are not allowed (the default).</summary>
public sealed class WebhookNetworkTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Theory]
    [InlineData("http://example.com/hook", "https")]
    [InlineData("https://localhost/hook", "loopback")]
    [InlineData("https://127.0.0.1/hook", "loopback")]
    [InlineData("https://10.1.2.3/hook", "private")]
    [InlineData("https://192.168.0.10/hook", "private")]
    [InlineData("https://169.254.169.254/latest/meta-data", "metadata")]
    [InlineData("https://[::1]/hook", "loopback")]
    [InlineData("https://[::ffff:127.0.0.1]/hook", "loopback")]
    [InlineData("https://[fd00::1]/hook", "private")]
    public async Task An_internal_address_is_refused_when_saved(string url, string reason)
    {
        var vendor = await app.Anonymous().RegisterAsync();

        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/webhooks", new CreateWebhookRequest(url, null, null, null));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").GetProperty("url")[0].GetString()!.ShouldContain(reason == "private" || reason == "metadata" ? "private" : reason);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_when_connecting()
    {
        // localhost passes no save check here on purpose: the client itself refuses the connection.
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(WebhookNetwork.HttpClientName);

        var failure = await Should.ThrowAsync<HttpRequestException>(() => client.PostAsync("http://localhost:9/hook", new StringContent("{}")));

        failure.Message.ShouldContain("loopback, private, link-local or metadata");
    }

    [Fact]
    public void Public_addresses_pass_and_internal_ranges_do_not()
    {
        WebhookNetwork.IsPublic(IPAddress.Parse("93.184.216.34")).ShouldBeTrue();
        WebhookNetwork.IsPublic(IPAddress.Parse("2606:2800:220:1::1")).ShouldBeTrue();
        WebhookNetwork.IsPublic(IPAddress.Parse("172.15.255.255")).ShouldBeTrue();
        WebhookNetwork.IsPublic(IPAddress.Parse("172.16.0.1")).ShouldBeFalse();
        WebhookNetwork.IsPublic(IPAddress.Parse("172.31.255.255")).ShouldBeFalse();
        WebhookNetwork.IsPublic(IPAddress.Parse("100.64.0.1")).ShouldBeFalse();
        WebhookNetwork.IsPublic(IPAddress.Parse("fe80::1")).ShouldBeFalse();
        WebhookNetwork.IsPublic(IPAddress.Parse("0.0.0.0")).ShouldBeFalse();
    }
}
