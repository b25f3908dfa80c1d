using System.Reflection;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Audit;

/// <summary>Audit is opt-in, and the choice is made for every entity: a new one must say whether it is audited.</summary>
public sealed class AuditCoverageTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public void Every_entity_is_marked_audited_or_not_audited()
    {
        using var scope = app.Services.CreateScope();
        var types = scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Model.GetEntityTypes().Select(e => e.ClrType).ToList();

        types.Count.ShouldBeGreaterThanOrEqualTo(14);
        var unmarked = types.Where(t => t.GetCustomAttribute<AuditedAttribute>() is null == t.GetCustomAttribute<NotAuditedAttribute>() is null)
            .Select(t => t.Name).ToList();
        unmarked.ShouldBeEmpty("each entity carries exactly one of [Audited] and [NotAudited]");
    }
}
