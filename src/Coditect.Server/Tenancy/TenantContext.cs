namespace Coditect.Server.Tenancy;

/// <summary>
/// Who is acting and for which tenant, for the length of one request (scoped). Read by the DbContext's query
/// filters and save guard, by the audit recorder, and copied into PostgreSQL with <c>set_config(..., true)</c>
/// at the start of each transaction (see <see cref="TenantTransactions"/>).
/// </summary>
public sealed class TenantContext
{
    public Guid? TenantId { get; private set; }
    public Guid? UserId { get; private set; }
    public Guid? ApiKeyId { get; private set; }

    /// <summary>For an API key, the person whose authority it carries (its creator, or the creator of the key that minted it).</summary>
    public Guid? ApiKeyCreatorId { get; private set; }
    public string? RequestId { get; set; }

    /// <summary>True only inside <see cref="TenantTransactions.RunAsSystemAsync{T}"/>: the narrow cross-tenant path.</summary>
    public bool IsSystem { get; internal set; }

    public void SetUser(Guid userId) => UserId = userId;

    public void SetApiKey(Guid apiKeyId, Guid tenantId, Guid? creatorId)
    {
        ApiKeyId = apiKeyId;
        ApiKeyCreatorId = creatorId;
        TenantId = tenantId;
    }

    public void SetTenant(Guid tenantId)
    {
        if (TenantId is { } current && current != tenantId)
        {
            throw new InvalidOperationException("A request acts for one tenant only.");
        }

        TenantId = tenantId;
    }

    public (string Type, Guid? Id) Actor =>
        ApiKeyId is { } key ? ("api_key", key) : UserId is { } user ? ("user", user) : ("system", null);
}
