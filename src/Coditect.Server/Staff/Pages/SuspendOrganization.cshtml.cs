using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Microsoft.AspNetCore.Authorization;

namespace Coditect.Server.Staff.Pages;

/// <summary>Asks before suspending an organization, then suspends it as <c>POST /api/v1/staff/organizations/{id}/suspend</c> does.</summary>
[Authorize(Policy = StaffRequirement.Policy)]
public sealed class SuspendOrganizationModel(CoditectDbContext db, OrganizationSuspension suspension)
    : SuspensionPage(db, suspension, suspend: true);
