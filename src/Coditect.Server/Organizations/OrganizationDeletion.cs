using Coditect.Server.Data;

namespace Coditect.Server.Organizations;

/// <summary>
/// A feature whose data goes with a deleted organization (by ON DELETE CASCADE) and must say so first, in the deleting
/// transaction: typically by raising its own deletion events, since after the delete nothing is left to read.
/// Registered by each such feature; Organizations knows none of them.
/// </summary>
public interface IOrganizationDeletion
{
    Task DeletingAsync(CoditectDbContext db, Organization organization, CancellationToken ct);
}
