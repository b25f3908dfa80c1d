namespace Coditect.Server.Signing;

public static class SigningExtensions
{
    public static WebApplicationBuilder AddSigning(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services => MasterKey.Load(builder.Configuration, builder.Environment, services.GetRequiredService<Google.GoogleCloud>()));
        builder.Services.AddSingleton<ServerKeyStore>();
        builder.Services.AddDatabaseDataProtection();
        builder.Services.AddOptions<SigningOptions>().BindConfiguration(SigningOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LeaseSigningKeys>();
        builder.Services.AddSingleton<LeaseTokens>();
        builder.Services.AddHostedService<SigningStartup>();
        builder.Services.AddHostedService<LeaseSigningKeyRefresher>();
        return builder;
    }
}
