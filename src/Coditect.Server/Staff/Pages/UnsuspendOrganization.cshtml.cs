using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Microsoft.AspNetCore.Authorization;

namespace Coditect.Server.Staff.Pages;

/// <summary>Asks before lifting an organization's suspension, then lifts it as <c>POST /api/v1/staff/organizations/{id}/unsuspend</c> does.</summary>
[Authorize(Policy = StaffRequirement.Policy)]
public sealed class UnsuspendOrganizationModel(CoditectDbContext db, OrganizationSuspension suspension)
    : SuspensionPage(db, suspension, suspend: false);
