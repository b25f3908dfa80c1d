using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Coditect.Server.Identity;

public static class IdentityExtensions
{
    /// <summary>Users, passwords, tokens, the Bearer scheme (access tokens and API keys) and the staff policy.</summary>
    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddSingleton<AccessTokens>();
        builder.Services.AddScoped<RefreshTokens>();
        builder.Services.AddHostedService<IdentityStartup>();

        builder.Services.AddAuthentication(BearerAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerAuthentication.SchemeName, null);
        builder.Services.AddScoped<IAuthorizationHandler, StaffHandler>();
        builder.Services.AddAuthorization(options => options.AddPolicy(StaffRequirement.Policy, policy => policy
            .AddAuthenticationSchemes(BearerAuthentication.SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(new StaffRequirement())));
        return builder;
    }
}
