using Coditect.Server.Audit;
using Coditect.Server.Billing;
using Coditect.Server.WebConsole;
using Coditect.Server.Data;
using Coditect.Server.DevContext;
using Coditect.Server.Identity;
using Coditect.Server.Licensing;
using Coditect.Server.Notifications;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Signing;
using Coditect.Server.Signing.Google;
using Coditect.Server.Tenancy;

StartupException.ExplainWhenUnhandled(); // a wrong setting or a refusal at start: one line and exit code 1
var builder = WebApplication.CreateBuilder(args);
builder.AddGoogleCloud(); // first: settings from Secret Manager override the others
builder.AddPlatform();
builder.AddData();
builder.AddTenancy();
builder.AddOutbox();
builder.AddSigning();
builder.AddIdentity();
builder.AddOrganizations();
builder.AddLicensing();
builder.AddNotifications();
builder.AddDevContext();
builder.AddBilling();
builder.AddConsole();

var app = builder.Build();

if (await app.RunCommandAsync(args))
{
    return;
}

app.UsePlatform();
var api = app.MapGroup("/api/v1").WithUnitOfWork();
var org = api.MapOrgScope();
api.MapIdentity();
api.MapOrganizations(org);
org.MapAudit();
app.MapLicensing(org);
app.MapNotifications(api, org);
org.MapDevContext();
api.MapBilling(org);
app.MapSigning(org);
app.MapHealth();
app.MapApiDocs();
app.MapConsole();

app.Run();

/// <summary>The entry point, public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
