namespace Coditect.Server.Organizations;

public static class OrganizationExtensions
{
    public static WebApplicationBuilder AddOrganizations(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<OrgScope>();
        return builder;
    }
}
