using System.Text.Json;

namespace Coditect.Server.Licensing.Admin;

// Only the OpenAPI document uses this type (.Accepts<UpdateLicenseRequest> on the PATCH endpoint): the handler reads
// the body as JSON itself, because a record cannot tell a member left out from a member sent as null.

/// <summary>
/// A partial update of a licence: send only the members to change; the others stay as they are. <c>ExpiresAt</c> null
/// makes the licence perpetual; <c>Entitlements</c> or <c>Metadata</c> null empties them.
/// </summary>
public sealed record UpdateLicenseRequest(
    string? Name = null,
    int? SeatsTotal = null,
    DateTime? ExpiresAt = null,
    IReadOnlyList<string>? Entitlements = null,
    Dictionary<string, JsonElement>? Metadata = null,
    string? Type = null,
    int? BorrowMaxHours = null);
