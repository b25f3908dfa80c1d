using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Audit;

public abstract class AuditTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Creating_an_organization_is_recorded_with_its_owner_membership()
    {
        var owner = await _anonymous.RegisterAsync();

        var events = await EventsAsync(owner);

        var created = events.Where(e => e.Action == "organization.created").ShouldHaveSingleItem();
        created.ObjectType.ShouldBe("organization");
        created.ObjectId.ShouldBe(owner.OrgId.ToString());
        created.Actor.ShouldBe(new AuditActor("user", owner.UserId));
        After(created, "slug").ShouldBe(owner.OrgSlug);
        Before(created, "slug").ShouldBeNull();
        var membership = events.Where(e => e.Action == "membership.created").ShouldHaveSingleItem();
        After(membership, "role").ShouldBe("owner");
        After(membership, "user_id").ShouldBe(owner.UserId.ToString());
    }

    [Fact]
    public async Task An_organization_update_records_the_changed_fields_and_the_request_id()
    {
        var owner = await _anonymous.RegisterAsync();
        var requestId = $"req-{Guid.NewGuid():N}";

        var response = await SendAsync(owner.Client, HttpMethod.Patch, owner.OrgPath, new UpdateOrganizationRequest("Audited Name", null), requestId);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);

        var updated = (await EventsAsync(owner)).Where(e => e.Action == "organization.updated").ShouldHaveSingleItem();
        updated.RequestId.ShouldBe(requestId);
        updated.Actor.ShouldBe(new AuditActor("user", owner.UserId));
        updated.Changes.Keys.ShouldBe(["name"], "only changed fields, not the update stamp");
        Before(updated, "name").ShouldStartWith("Org ");
        After(updated, "name").ShouldBe("Audited Name");
    }

    [Fact]
    public async Task Membership_changes_are_recorded_as_created_updated_and_deleted()
    {
        var owner = await _anonymous.RegisterAsync();
        var person = await owner.AddMemberAsync("viewer");
        var promote = $"req-{Guid.NewGuid():N}";
        var remove = $"req-{Guid.NewGuid():N}";

        (await SendAsync(owner.Client, HttpMethod.Patch, $"{owner.OrgPath}/members/{person.UserId}", new UpdateMemberRequest("member"), promote))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SendAsync(owner.Client, HttpMethod.Delete, $"{owner.OrgPath}/members/{person.UserId}", null, remove))
            .StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var events = await EventsAsync(owner);
        var joined = events.Single(e => e.Action == "membership.created" && After(e, "user_id") == person.UserId.ToString());
        joined.Actor.ShouldBe(new AuditActor("user", person.UserId), "the invitee accepted, so the invitee acted");
        After(joined, "role").ShouldBe("viewer");

        var updated = events.Where(e => e.Action == "membership.updated").ShouldHaveSingleItem();
        updated.RequestId.ShouldBe(promote);
        updated.ObjectId.ShouldBe(joined.ObjectId);
        updated.Changes.Keys.ShouldBe(["role"]);
        Before(updated, "role").ShouldBe("viewer");
        After(updated, "role").ShouldBe("member");

        var deleted = events.Where(e => e.Action == "membership.deleted").ShouldHaveSingleItem();
        deleted.RequestId.ShouldBe(remove);
        deleted.ObjectId.ShouldBe(joined.ObjectId);
        Before(deleted, "role").ShouldBe("member");
        After(deleted, "role").ShouldBeNull();
    }

    [Fact]
    public async Task Invitations_and_api_keys_are_recorded_when_created_and_revoked()
    {
        var owner = await _anonymous.RegisterAsync();
        await owner.InviteAsync("audited@example.com", "admin");
        var key = await owner.CreateApiKeyAsync("member", "audited key");
        (await owner.Client.DeleteAsync($"{owner.OrgPath}/api-keys/{key.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var events = await EventsAsync(owner);

        var invited = events.Where(e => e.Action == "invitation.created").ShouldHaveSingleItem();
        After(invited, "email").ShouldBe("audited@example.com");
        After(invited, "role").ShouldBe("admin");
        var keyCreated = events.Where(e => e.Action == "api_key.created").ShouldHaveSingleItem();
        keyCreated.ObjectId.ShouldBe(key.Id.ToString());
        After(keyCreated, "name").ShouldBe("audited key");
        var revoked = events.Where(e => e.Action == "api_key.updated").ShouldHaveSingleItem();
        revoked.ObjectId.ShouldBe(key.Id.ToString());
        revoked.Changes.Keys.ShouldBe(["revoked_at"]);
        Before(revoked, "revoked_at").ShouldBeNull();
        After(revoked, "revoked_at").ShouldNotBeNull();
    }

    [Fact]
    public async Task Accepting_an_invitation_is_recorded_as_an_invitation_update()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync(invitee.Email, "member");

        (await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var events = await EventsAsync(owner);
        var invitation = events.Where(e => e.Action == "invitation.created").ShouldHaveSingleItem();
        var accepted = events.Where(e => e.Action == "invitation.updated").ShouldHaveSingleItem();
        accepted.ObjectId.ShouldBe(invitation.ObjectId);
        accepted.Actor.ShouldBe(new AuditActor("user", invitee.UserId));
        accepted.Changes.Keys.ShouldBe(["accepted_at", "accepted_by_user_id"], ignoreOrder: true);
        Before(accepted, "accepted_at").ShouldBeNull();
        After(accepted, "accepted_at").ShouldNotBeNull();
        After(accepted, "accepted_by_user_id").ShouldBe(invitee.UserId.ToString());
    }

    [Fact]
    public async Task Changes_made_with_an_api_key_name_the_key_as_actor()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("admin");

        (await _anonymous.WithBearer(key.Key!).PatchAsync(owner.OrgPath, new UpdateOrganizationRequest("Renamed By Bot", null)))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        var updated = (await EventsAsync(owner)).Where(e => e.Action == "organization.updated").ShouldHaveSingleItem();
        updated.Actor.ShouldBe(new AuditActor("api_key", key.Id));
    }

    [Fact]
    public async Task Events_are_newest_first_and_paged()
    {
        var owner = await _anonymous.RegisterAsync();
        for (var i = 0; i < 3; i++)
        {
            await owner.Client.PatchAsync(owner.OrgPath, new UpdateOrganizationRequest($"Name {i}", null));
        }

        var first = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?page_size=2");
        var second = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?page_size=2&page=2");
        var third = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?page_size=2&page=3");

        first.Total.ShouldBe(5); // organization and membership created, three updates
        first.Items.Count.ShouldBe(2);
        first.NextPage.ShouldBe(2);
        third.NextPage.ShouldBeNull();
        var all = first.Items.Concat(second.Items).Concat(third.Items).ToList();
        all.Select(e => e.Id).Distinct().Count().ShouldBe(5);
        all.Select(e => e.OccurredAt).ShouldBeInOrder(SortDirection.Descending);
        After(all[0], "name").ShouldBe("Name 2");
        all[^1].Action.ShouldEndWith(".created");
    }

    [Fact]
    public async Task Audit_events_can_be_filtered_by_action()
    {
        var owner = await _anonymous.RegisterAsync();
        await owner.Client.PatchAsync(owner.OrgPath, new UpdateOrganizationRequest("Filtered", null));

        var page = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=organization.updated");

        page.Items.ShouldHaveSingleItem().Action.ShouldBe("organization.updated");
    }

    [Fact]
    public async Task Audit_events_can_be_filtered_by_actor_and_time_range()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("admin");
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var middle = Uri.EscapeDataString(app.Clock.GetUtcNow().UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        (await _anonymous.WithBearer(key.Key!).PatchAsync(owner.OrgPath, new UpdateOrganizationRequest("Renamed By Bot", null)))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        var byKey = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?actor_id={key.Id}");
        var byOwner = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?actor_id={owner.UserId}");
        var after = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?from={middle}");
        var before = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?to={middle}");
        var bad = await owner.Client.GetAsync($"{owner.OrgPath}/audit-events?actor_id=someone&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z");

        byKey.Items.ShouldHaveSingleItem().Action.ShouldBe("organization.updated");
        byOwner.Items.Select(e => e.Action).ShouldBe(["api_key.created", "membership.created", "organization.created"], ignoreOrder: true);
        after.Items.ShouldHaveSingleItem().Actor.ShouldBe(new AuditActor("api_key", key.Id));
        before.Items.Count.ShouldBe(3);
        var problem = await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("actor_id", out _).ShouldBeTrue();
        problem.GetProperty("errors").TryGetProperty("from", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Secrets_never_appear_in_audit_events()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync(invitee.Email, "member");
        (await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var key = await owner.CreateApiKeyAsync("admin");
        await _anonymous.WithBearer(key.Key!).GetAsync(owner.OrgPath);
        await owner.Client.DeleteAsync($"{owner.OrgPath}/api-keys/{key.Id}");

        var body = await (await owner.Client.GetAsync($"{owner.OrgPath}/audit-events?page_size=100")).Content.ReadAsStringAsync();

        body.ShouldContain("api_key.created");
        body.ShouldContain("invitation.created");
        foreach (var secret in new[] { "key_hash", "token_hash", "password_hash", "password", key.Key!, key.Key![4..], token, token[4..], owner.Password })
        {
            body.ShouldNotContain(secret, Case.Insensitive);
        }
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("member")]
    public async Task Viewers_and_members_get_403_on_audit_events(string role)
    {
        var owner = await _anonymous.RegisterAsync();
        var person = await owner.AddMemberAsync(role);

        var response = await person.Client.GetAsync($"{owner.OrgPath}/audit-events");

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Admins_read_audit_events()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");

        var page = await admin.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events");

        page.Items.ShouldContain(e => e.Action == "organization.created");
    }

    private static async Task<List<AuditEventResponse>> EventsAsync(Caller caller)
    {
        var page = await caller.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{caller.OrgPath}/audit-events?page_size=100");
        page.NextPage.ShouldBeNull();
        return [.. page.Items];
    }

    private static string? Before(AuditEventResponse e, string field) => Text(e.Changes[field].Before);

    private static string? After(AuditEventResponse e, string field) =>
        e.Changes.TryGetValue(field, out var change) ? Text(change.After) : null;

    private static string? Text(object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Null } => null,
        JsonElement { ValueKind: JsonValueKind.String } s => s.GetString(),
        JsonElement other => other.GetRawText(),
        null => null,
        _ => value.ToString(),
    };

    private static async Task<HttpResponseMessage> SendAsync(Client client, HttpMethod method, string path, object? body, string requestId)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Request-Id", requestId);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Client.Json);
        }

        return await client.Http.SendAsync(request);
    }
}

public sealed class AuditTestsOnSqlite(SqliteApp app) : AuditTests<SqliteApp>(app);

public sealed class AuditTestsOnPostgres(PostgresApp app) : AuditTests<PostgresApp>(app);
