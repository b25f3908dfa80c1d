using System.Net;
using Coditect.Contracts.Licensing;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Licensing;

/// <summary>The calls licensing tests make over and over.</summary>
public static class LicensingSteps
{
    public static async Task<LicenseResponse> CreateLicenseAsync(this Caller vendor, int seats, DateTime? expiresAt = null, string[]? entitlements = null)
    {
        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses",
            new CreateLicenseRequest($"Licence {Guid.NewGuid():N}", seats, expiresAt, entitlements ?? ["export"]));
        return await response.ReadAsync<LicenseResponse>(HttpStatusCode.Created);
    }

    public static async Task<LicenseResponse> CreateNodeLockedLicenseAsync(this Caller vendor, int machines, DateTime? expiresAt = null)
    {
        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses",
            new CreateLicenseRequest($"Licence {Guid.NewGuid():N}", machines, expiresAt, ["export"], null, LicenseTypes.NodeLocked));
        return await response.ReadAsync<LicenseResponse>(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> ActivateAsync(this Client client, string key, string hardwareId) =>
        client.PostAsync("/api/v1/licenses/activate", new ActivateRequest(key, hardwareId, "Build box", "linux-x64"));

    public static Task<HttpResponseMessage> AcquireAsync(this Client client, string key, string hardwareId) =>
        client.PostAsync("/api/v1/licenses/acquire", new AcquireRequest(key, hardwareId, null, new ClientInfo("host", "1.0", "linux")));

    public static Task<HttpResponseMessage> HeartbeatAsync(this Client client, string key, Guid sessionId) =>
        client.PostAsync("/api/v1/licenses/heartbeat", new HeartbeatRequest(key, sessionId));

    public static Task<HttpResponseMessage> ReleaseAsync(this Client client, string key, Guid sessionId) =>
        client.PostAsync("/api/v1/licenses/release", new ReleaseRequest(key, sessionId));

    public static async Task<ValidateResponse> ValidateAsync(this Client client, string key, string? hardwareId = null)
    {
        var response = await client.PostAsync("/api/v1/licenses/validate", new ValidateRequest(key, hardwareId));
        return await response.ReadAsync<ValidateResponse>(HttpStatusCode.OK);
    }

    public static async Task<AcquireResponse> AcquireSeatAsync(this Client client, string key, string hardwareId)
    {
        var response = await client.AcquireAsync(key, hardwareId);
        return await response.ReadAsync<AcquireResponse>(HttpStatusCode.Created);
    }
}
