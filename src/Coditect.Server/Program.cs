using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Signing;
using Coditect.Server.Tenancy;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatform();
builder.AddData();
builder.AddSigning();
builder.AddIdentity();
builder.AddOrganizations();
builder.AddLicensing();

var app = builder.Build();

if (await app.RunCommandAsync(args))
{
    return;
}

await app.MigrateAsync(force: false);
await app.Services.GetRequiredService<AccessTokens>().InitializeAsync(app.Lifetime.ApplicationStopping);
await app.Services.GetRequiredService<LeaseSigningKeys>().LoadAsync(app.Lifetime.ApplicationStopping);

app.UsePlatform();
var api = app.MapGroup("/api/v1").WithUnitOfWork();
api.MapIdentity();
api.MapOrganizations();
app.MapLeaseProtocol();
app.MapJwks();
app.MapHealth();
app.MapApiDocs();

app.Run();

/// <summary>The entry point, public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
