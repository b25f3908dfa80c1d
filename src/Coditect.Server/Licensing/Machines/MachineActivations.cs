using System.Text.Json;
using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Signing;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing.Machines;

/// <summary>
/// Machine activations of node-locked licences (scoped), in the request's one transaction: activate and deactivate by
/// the licence key (the client), and list and deactivate by an admin. An activation counts under the licence row's lock
/// (PostgreSQL <c>FOR NO KEY UPDATE</c>; SQLite's write lock, which the unit of work's <c>BEGIN IMMEDIATE</c> takes), so
/// concurrent activations never pass the cap. No Redis: activations are rare, the database answers on every backend.
/// </summary>
public sealed class MachineActivations(
    CoditectDbContext db, TenantScope scope, LeaseTokens tokens, IOptions<LicensingOptions> options, TimeProvider clock, IServiceProvider services)
{
    public const string Activated = "machine.activated";
    public const string Deactivated = "machine.deactivated";
    public const string TokenType = "coditect-activation+jwt";

    public static readonly SortKeys<LicenseMachine> Sorts = new SortKeys<LicenseMachine>(m => m.Id, "activated_at", true)
        .Add("activated_at", m => m.CreatedAt).Add("last_seen_at", m => m.LastSeenAt).Add("hardware_id", m => m.HardwareId);

    /// <summary>What an activation did: <see cref="Created"/> a machine, or found it (200), or a refusal.</summary>
    public sealed record ActivateOutcome(ActivateResponse? Response, bool Created, Refusal? Refusal);

    /// <summary>Activates <paramref name="hardwareId"/> on the licence the key names; the same machine again renews its token.</summary>
    public async Task<ActivateOutcome> ActivateAsync(string keyHash, string hardwareId, string? name, string? platform, CancellationToken ct)
    {
        var now = Now();
        if (await LockAsync(keyHash, ct) is not { } found)
        {
            return new(null, false, LicenseNotFound());
        }

        var (license, organizationSuspended) = found;
        if (Refuse(license, organizationSuspended, now) is { } refusal)
        {
            return new(null, false, refusal);
        }

        var machines = db.Set<LicenseMachine>().Where(m => m.LicenseId == license.Id);
        var machine = await machines.FirstOrDefaultAsync(m => m.HardwareId == hardwareId, ct);
        var created = machine is null;
        var count = await machines.CountAsync(ct);
        if (machine is null)
        {
            if (count >= license.SeatsTotal)
            {
                return new(null, false, Refusal.Conflict(ProblemCodes.MachineLimitReached,
                    $"Every one of this licence's {license.SeatsTotal} machines is activated: deactivate one first.",
                    new Dictionary<string, object?> { ["seats_total"] = license.SeatsTotal, ["machines_used"] = count }));
            }

            machine = new LicenseMachine { LicenseId = license.Id, HardwareId = hardwareId, Name = name, Platform = platform, LastSeenAt = now };
            db.Add(machine);
            count++;
        }
        else
        {
            machine.LastSeenAt = now;
            machine.Name = name ?? machine.Name;
            machine.Platform = platform ?? machine.Platform;
        }

        await db.SaveChangesAsync(ct);
        if (created)
        {
            var response = machine.ToResponse();
            Audit(Activated, machine, now);
            await db.RaiseAsync(Activated, response, ct);
            await db.SaveChangesAsync(ct);
        }

        // Never longer than a licence file: the signing key stays published that long after a rotation (LeaseSigningKeys).
        var maxExpiry = now.AddDays(options.Value.LicenseFileMaxDays);
        var expiresAt = license.ExpiresAt is { } end && end < maxExpiry ? end : maxExpiry;
        var token = await tokens.SignAsync(TokenType, new Statement(machine.Id, license.Id, license.TenantId, now, expiresAt), json =>
        {
            json.WriteString("machine_id", machine.Id);
            json.WriteString("hardware_id", machine.HardwareId);
            json.WriteString("license_type", LicenseTypes.NodeLocked);
            json.WritePropertyName("entitlements");
            JsonSerializer.Serialize(json, Ledger.LedgerRules.ParseEntitlements(license.Entitlements));
            json.WriteNumber("seats_total", license.SeatsTotal);
        }, services, ct);
        return new(new ActivateResponse(machine.Id, token, expiresAt, license.SeatsTotal, count), created, null);
    }

    /// <summary>The client deactivates its machine: its place is free at once. Allowed whatever the licence's state.</summary>
    public async Task<Refusal?> DeactivateAsync(string keyHash, string hardwareId, CancellationToken ct)
    {
        if (await LockAsync(keyHash, ct) is not { } found)
        {
            return LicenseNotFound();
        }

        var machine = await db.Set<LicenseMachine>().FirstOrDefaultAsync(m => m.LicenseId == found.License.Id && m.HardwareId == hardwareId, ct);
        return machine is null ? MachineNotFound() : await RemoveAsync(machine, ct);
    }

    /// <summary>A page of the licence's machines (newest first by default), or null when no such licence is visible.</summary>
    public async Task<CursorPage<MachineResponse>?> ListAsync(Guid licenseId, Keyset keyset, string search, CancellationToken ct)
    {
        if (!await db.Set<License>().AnyAsync(l => l.Id == licenseId, ct))
        {
            return null;
        }

        var machines = db.Set<LicenseMachine>().AsNoTracking().Where(m => m.LicenseId == licenseId);
        if (search.Length > 0)
        {
            var pattern = $"%{search.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_").ToLowerInvariant()}%";
            machines = machines.Where(m => EF.Functions.Like(m.HardwareId.ToLower(), pattern, "\\")
                || (m.Name != null && EF.Functions.Like(m.Name.ToLower(), pattern, "\\")));
        }

        return await keyset.ToPageAsync(machines, Sorts, m => m.ToResponse(), ct);
    }

    /// <summary>An admin deactivates a machine of a licence; null when done, else 404.</summary>
    public async Task<Refusal?> AdminDeactivateAsync(Guid licenseId, Guid machineId, CancellationToken ct)
    {
        if (!await db.Set<License>().AnyAsync(l => l.Id == licenseId, ct))
        {
            return LicenseNotFound();
        }

        await LockLicenseAsync(licenseId, ct);
        var machine = await db.Set<LicenseMachine>().FirstOrDefaultAsync(m => m.Id == machineId && m.LicenseId == licenseId, ct);
        return machine is null ? MachineNotFound() : await RemoveAsync(machine, ct);
    }

    /// <summary>
    /// For validate, outside the unit of work: how many machines the licence has, and whether <paramref name="hardwareId"/>
    /// is one of them (null when not asked).
    /// </summary>
    public async Task<(int Count, bool? Activated)> StateAsync(Guid tenantId, Guid licenseId, string? hardwareId, CancellationToken ct)
    {
        scope.ReadsOnly();
        await scope.EnterAsync(tenantId, ct);
        var machines = db.Set<LicenseMachine>().AsNoTracking().Where(m => m.LicenseId == licenseId);
        var count = await machines.CountAsync(ct);
        bool? activated = hardwareId is null ? null : await machines.AnyAsync(m => m.HardwareId == hardwareId, ct);
        await scope.CommitAsync(ct);
        return (count, activated);
    }

    private async Task<Refusal?> RemoveAsync(LicenseMachine machine, CancellationToken ct)
    {
        var now = Now();
        db.Remove(machine);
        Audit(Deactivated, machine, now);
        await db.RaiseAsync(Deactivated, machine.ToResponse(), ct);
        await db.SaveChangesAsync(ct);
        return null;
    }

    private void Audit(string action, LicenseMachine machine, DateTime now)
    {
        var (before, after) = action == Activated ? ((JsonNode?)null, (JsonNode?)"activated") : ("activated", null);
        AuditRecorder.Explicit(db, machine.TenantId, action, "license_machine", machine.Id, new JsonObject
        {
            ["status"] = new JsonObject { ["before"] = before, ["after"] = after },
            ["license_id"] = new JsonObject { ["before"] = machine.LicenseId.ToString(), ["after"] = machine.LicenseId.ToString() },
            ["hardware_id"] = new JsonObject { ["before"] = machine.HardwareId, ["after"] = machine.HardwareId },
        }, now);
    }

    /// <summary>
    /// Finds the licence a key names (the key names the tenant, so the lookup crosses tenants, as an API key's does), enters
    /// its organization and takes the licence's lock; then reads it again, under the lock.
    /// </summary>
    private async Task<(License License, bool OrganizationSuspended)?> LockAsync(string keyHash, CancellationToken ct)
    {
        var owner = await db.RunAsSystemAsync(() => db.Set<License>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.KeyHash == keyHash).Select(l => new { l.Id, l.TenantId }).FirstOrDefaultAsync(ct), ct);
        if (owner is null)
        {
            return null;
        }

        await scope.EnterAsync(owner.TenantId, ct);
        await LockLicenseAsync(owner.Id, ct);
        var row = await db.Set<License>().Where(l => l.Id == owner.Id)
            .Select(l => new { License = l, Suspended = db.Set<Organization>().Any(o => o.Id == l.TenantId && o.SuspendedAt != null) })
            .FirstOrDefaultAsync(ct);
        return row is null ? null : (row.License, row.Suspended);
    }

    /// <summary>PostgreSQL: the licence row's lock, as acquire takes it. SQLite: the transaction holds the write lock already.</summary>
    private async Task LockLicenseAsync(Guid licenseId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.SqlQuery<Guid>($"SELECT id AS \"Value\" FROM licenses WHERE id = {licenseId} FOR NO KEY UPDATE").ToListAsync(ct);
        }
    }

    private static Refusal? Refuse(License license, bool organizationSuspended, DateTime now) =>
        organizationSuspended ? new Refusal(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended, "The organization this licence belongs to is suspended.")
        : license.State == LicenseState.Suspended ? new Refusal(StatusCodes.Status403Forbidden, ProblemCodes.LicenseSuspended, "This licence is suspended.")
        : license.IsExpired(now) ? new Refusal(StatusCodes.Status403Forbidden, ProblemCodes.LicenseExpired, "This licence has expired.")
        : license.Type != LicenseType.NodeLocked ? Refusal.Conflict(ProblemCodes.LicenseNotNodeLocked,
            "This licence is floating: acquire a seat (POST /api/v1/licenses/acquire) instead of activating the machine.")
        : null;

    private static Refusal LicenseNotFound() => Refusal.NotFound(ProblemCodes.LicenseNotFound, "The licence");

    private static Refusal MachineNotFound() => Refusal.NotFound(ProblemCodes.MachineNotFound, "The machine");

    private DateTime Now()
    {
        var ticks = clock.GetUtcNow().UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }
}

internal static class MachineMapping
{
    public static MachineResponse ToResponse(this LicenseMachine m) =>
        new(m.Id, m.LicenseId, m.HardwareId, m.Name, m.Platform, m.CreatedAt, m.LastSeenAt);
}
