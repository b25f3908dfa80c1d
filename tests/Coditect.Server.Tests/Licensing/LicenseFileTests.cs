using System.Net;
using System.Text.Json;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Contracts.Licensing;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coditect.Server.Tests.Licensing;

/// <summary>Signed licence files for air-gapped machines, checked with a stock JWT library and the key set they come with.</summary>
public abstract class LicenseFileTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_licence_file_carries_the_terms_and_ends_with_the_licence()
    {
        var vendor = await _anonymous.RegisterAsync();
        var expiry = app.Clock.GetUtcNow().UtcDateTime.AddDays(90);
        var created = await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses", new CreateLicenseRequest("Air-gapped", 4, expiry, ["export", "sso"],
            new Dictionary<string, JsonElement> { ["customer"] = JsonSerializer.SerializeToElement("ACME") }));
        var license = await created.ReadAsync<LicenseResponse>(HttpStatusCode.Created);

        var whole = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/file")).ReadAsync<LicenseFileResponse>(HttpStatusCode.OK);

        var result = await LeaseTokenVerifier.VerifyAsync(whole.LicenseFile, whole.Jwks.GetRawText(), app.Clock);
        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        token.Typ.ShouldBe("coditect-license+jwt");
        token.GetClaim("license_id").Value.ShouldBe(license.Id.ToString());
        token.GetClaim("org_id").Value.ShouldBe(vendor.OrgId.ToString());
        token.GetClaim("license_type").Value.ShouldBe(LicenseTypes.Floating);
        token.GetPayloadValue<int>("seats_total").ShouldBe(4);
        token.TryGetClaim("hardware_id", out _).ShouldBeFalse();
        token.GetPayloadValue<string[]>("entitlements").ShouldBe(["export", "sso"]);
        token.GetPayloadValue<JsonElement>("metadata").GetProperty("customer").GetString().ShouldBe("ACME");
        token.ValidTo.ShouldBe(expiry, TimeSpan.FromSeconds(1), "a file never outlives its licence");
        whole.ExpiresAt.ShouldBe(expiry, TimeSpan.FromSeconds(1));

        var machine = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/file", new LicenseFileRequest("hw-air-1")))
            .ReadAsync<LicenseFileResponse>(HttpStatusCode.OK);
        var bound = (JsonWebToken)(await LeaseTokenVerifier.VerifyAsync(machine.LicenseFile, machine.Jwks.GetRawText(), app.Clock)).SecurityToken;
        bound.GetClaim("hardware_id").Value.ShouldBe("hw-air-1");
        bound.TryGetClaim("seats_total", out _).ShouldBeFalse();

        var audit = await vendor.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{vendor.OrgPath}/audit-events?action=license.file_issued");
        audit.Items.Count.ShouldBe(2);
        audit.Items.ShouldAllBe(e => e.ObjectId == license.Id.ToString());
    }

    [Fact]
    public async Task A_perpetual_licence_s_file_lives_the_configured_maximum()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);

        var file = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/file", new { })).ReadAsync<LicenseFileResponse>(HttpStatusCode.OK);

        file.ExpiresAt.ShouldBe(app.Clock.GetUtcNow().UtcDateTime.AddDays(365), TimeSpan.FromSeconds(2));
        var noBody = await vendor.Client.Http.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/file", null);
        (await noBody.ReadAsync<LicenseFileResponse>(System.Net.HttpStatusCode.OK)).LicenseFile.ShouldNotBeNullOrEmpty("a request without a body issues the licence's file");
    }

    [Fact]
    public async Task Suspended_expired_foreign_or_unauthorized_licences_issue_no_file()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1, expiresAt: app.Clock.GetUtcNow().UtcDateTime.AddDays(1));
        var path = $"{vendor.OrgPath}/licenses/{license.Id}/file";

        var member = await vendor.AddMemberAsync("member");
        await (await member.Client.PostAsync(path)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        var stranger = await _anonymous.RegisterAsync();
        await (await stranger.Client.PostAsync($"{stranger.OrgPath}/licenses/{license.Id}/file")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);

        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await vendor.Client.PostAsync(path)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseSuspended);
        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/reinstate")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await vendor.Client.PostAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // An API key, because the vendor's access token would expire with the clock moved two days.
        var apiKey = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/api-keys", new CreateApiKeyRequest("ops", "admin")))
            .ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
        app.Clock.Advance(TimeSpan.FromDays(2));
        await (await _anonymous.WithBearer(apiKey.Key!).PostAsync(path)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseExpired);
    }
}

public sealed class LicenseFileTestsOnSqlite(SqliteApp app) : LicenseFileTests<SqliteApp>(app);

public sealed class LicenseFileTestsOnPostgres(PostgresApp app) : LicenseFileTests<PostgresApp>(app);
