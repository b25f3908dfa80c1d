using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Signing.Pages;

/// <summary>
/// The organization's signing keys (ADR 0020): the organization id and key set address a vendor's application pins, every
/// key with when a retired one leaves the set, and rotation for those who manage licences.
/// </summary>
[RequirePermission(Permission.ReadLicenses)]
public sealed class SigningKeysModel(CoditectDbContext db, TenantScope tenancy, LeaseSigningKeys signingKeys, TimeProvider clock) : ConsolePage
{
    public IReadOnlyList<SigningKeyResponse> Keys { get; private set; } = [];
    public int? PreviousPage { get; private set; }
    public int? NextPage { get; private set; }

    public string JwksUrl => $"{Request.Scheme}://{Request.Host}/api/v1/orgs/{Shell.Organization!.Id}/jwks.json";

    public async Task OnGetAsync(CancellationToken ct)
    {
        var list = await signingKeys.ListAsync(db, Shell.Organization!.Id, Paging.Parse(Request, new Validator()), ct);
        Keys = list.Items;
        PreviousPage = list.Page > 1 ? list.Page - 1 : null;
        NextPage = list.NextPage;
    }

    [RequirePermission(Permission.ManageLicenses)]
    public async Task<IActionResult> OnPostAsync([FromForm(Name = "algorithm")] string? algorithm, CancellationToken ct)
    {
        if (algorithm is null || TokenAlgorithm.Find(algorithm) is null)
        {
            return StatusCode(StatusCodes.Status400BadRequest); // the form offers only these
        }

        var key = await SigningKeyEndpoints.RotateAsync(db, tenancy, signingKeys, Shell.Organization!.Id, algorithm, clock, ct);
        return RedirectWith(Shell.OrgPath("/signing-keys"),
            $"New {key.Algorithm} signing key {key.KeyId} signs from now on; the old one stays published until what it signed has expired.");
    }
}
