using Coditect.Server.Platform;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Coditect.Server.Identity;

public static class IdentityExtensions
{
    /// <summary>Users, passwords, tokens, the Bearer scheme (access tokens and API keys) for the API, the console's cookie, and the staff policy.</summary>
    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddSingleton<AccessTokens>();
        builder.Services.AddScoped<RefreshTokens>();
        builder.Services.AddScoped<Accounts>();
        builder.Services.AddScoped<MailedTokens>();
        builder.Services.AddHostedService<IdentityStartup>();
        builder.Services.AddOptions<Oidc.OidcOptions>().BindConfiguration(Oidc.OidcOptions.Section)
            .Validate(Oidc.OidcOptions.AreValid, "Oidc:Providers:{name} needs a name of lower-case letters, digits and hyphens, a Kind of oidc or github, a ClientId, and an https Authority (and ApiUrl).")
            .ValidateOnStart();
        builder.Services.AddSingleton<Oidc.OidcClient>();
        builder.Services.AddSingleton<Oidc.GitHubClient>();
        builder.Services.AddScoped<Oidc.OidcSignIn>();
        builder.Services.AddHttpClient(Oidc.OidcClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10));

        builder.Services.AddAuthentication(CallerScheme.SchemeName)
            .AddCallerScheme()
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerAuthentication.SchemeName, null)
            .AddConsoleCookie();
        builder.Services.AddScoped<IAuthorizationHandler, StaffHandler>();
        builder.Services.AddOptions<StaffOptions>().BindConfiguration(StaffOptions.Section)
            .Validate(StaffOptions.AreValid, "Staff:Emails must list e-mail addresses only.").ValidateOnStart();
        builder.Services.AddOperatorCommand(StaffAccounts.CommandName, StaffAccounts.CreateStaffAsync);
        builder.Services.AddAuthorization(options => options.AddPolicy(StaffRequirement.Policy, policy => policy
            .AddAuthenticationSchemes(CallerScheme.SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(new StaffRequirement())));
        return builder;
    }
}
