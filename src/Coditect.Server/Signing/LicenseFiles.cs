using System.Text.Json;
using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Signing;

/// <summary>
/// Signed licence files for machines that never reach the server (scoped): the licence's terms as a compact JWS signed
/// with the organization's current lease-token key (<c>typ</c> <c>coditect-license+jwt</c>, so it never passes for a lease token), and the
/// organization's public key set. The file expires at the earlier of the licence's expiry and issue + <c>Licensing:LicenseFileMaxDays</c>;
/// a suspended or expired licence issues none. Each issue is audited (<c>license.file_issued</c>).
/// </summary>
public sealed class LicenseFiles(CoditectDbContext db, LeaseTokens tokens, IOptions<LicensingOptions> options, TimeProvider clock, IServiceProvider services)
{
    public const string TokenType = "coditect-license+jwt";
    public const string Issued = "license.file_issued";

    public async Task<Outcome<LicenseFileResponse>> IssueAsync(Guid licenseId, LicenseFileRequest? body, CancellationToken ct)
    {
        var errors = new Validator();
        var hardwareId = body?.HardwareId is null ? null : errors.Required("hardware_id", body.HardwareId, 256);
        var license = await db.Set<License>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == licenseId, ct);
        if (license is null)
        {
            return Refusal.NotFound(ProblemCodes.LicenseNotFound, "The licence");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var ticks = clock.GetUtcNow().UtcTicks;
        var now = new DateTime(ticks - (ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        if (license.State == LicenseState.Suspended)
        {
            return Refusal.Conflict(ProblemCodes.LicenseSuspended, "This licence is suspended: it issues no licence file until it is reinstated.");
        }

        if (license.IsExpired(now))
        {
            return Refusal.Conflict(ProblemCodes.LicenseExpired, "This licence has expired: renew it before issuing a licence file.");
        }

        var maxExpiry = now.AddDays(options.Value.LicenseFileMaxDays);
        var expiresAt = license.ExpiresAt is { } end && end < maxExpiry ? end : maxExpiry;
        var entitlements = LedgerRules.ParseEntitlements(license.Entitlements);
        using var metadata = JsonDocument.Parse(license.Metadata);
        var file = await tokens.SignAsync(TokenType, new Statement(license.Id, license.Id, license.TenantId, now, expiresAt), json =>
        {
            json.WriteString("name", license.Name);
            json.WriteString("license_type", license.TypeName);
            if (hardwareId is not null)
            {
                json.WriteString("hardware_id", hardwareId);
            }
            else
            {
                json.WriteNumber("seats_total", license.SeatsTotal);
            }

            json.WritePropertyName("entitlements");
            JsonSerializer.Serialize(json, entitlements);
            if (license.ExpiresAt is { } licenseExpiry)
            {
                json.WriteNumber("license_expires_at", new DateTimeOffset(licenseExpiry, TimeSpan.Zero).ToUnixTimeSeconds());
            }
            else
            {
                json.WriteNull("license_expires_at");
            }

            json.WritePropertyName("metadata");
            metadata.RootElement.WriteTo(json);
        }, services, ct);

        AuditRecorder.Explicit(db, license.TenantId, Issued, "license", license.Id, new JsonObject
        {
            ["license_file"] = new JsonObject
            {
                ["before"] = null,
                ["after"] = new JsonObject { ["hardware_id"] = hardwareId, ["expires_at"] = expiresAt.ToString("O") },
            },
        }, now);
        await db.SaveChangesAsync(ct);
        return new LicenseFileResponse(file, JsonSerializer.SerializeToElement(await tokens.JwksAsync(license.TenantId, ct)), expiresAt);
    }
}
