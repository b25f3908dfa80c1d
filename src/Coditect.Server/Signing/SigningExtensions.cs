namespace Coditect.Server.Signing;

public static class SigningExtensions
{
    public static WebApplicationBuilder AddSigning(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services => MasterKey.Load(builder.Configuration, builder.Environment));
        builder.Services.AddSingleton<ServerKeyStore>();
        return builder;
    }
}
