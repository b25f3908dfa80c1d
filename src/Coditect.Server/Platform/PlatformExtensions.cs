using System.Text.Json;
using System.Text.Json.Serialization;
using Coditect.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;

namespace Coditect.Server.Platform;

/// <summary><c>Api:*</c> settings.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    [System.ComponentModel.DataAnnotations.Range(1024, 100 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>What every endpoint shares: JSON conventions, errors, authentication, limits, health and API docs.</summary>
public static class PlatformExtensions
{
    public static readonly JsonNamingPolicy WireNaming = JsonNamingPolicy.SnakeCaseLower;

    public static WebApplicationBuilder AddPlatform(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var maxBody = builder.Configuration.GetValue<long?>("Api:MaxRequestBodyBytes") ?? new ApiOptions().MaxRequestBodyBytes;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = maxBody;
            kestrel.AddServerHeader = false;
        });

        builder.Logging.Configure(logging => logging.ActivityTrackingOptions = Microsoft.Extensions.Logging.ActivityTrackingOptions.None);
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders().AddJsonConsole(json => json.IncludeScopes = true);
        }
        else
        {
            builder.Logging.ClearProviders().AddSimpleConsole(console => console.IncludeScopes = true);
        }

        builder.Services.Configure<JsonOptions>(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = WireNaming;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(WireNaming));
        });
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ErrorHandling>();

        builder.Services.AddAuthentication(BearerAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerAuthentication.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddRateLimits();
        builder.AddHealth();
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication UsePlatform(this WebApplication app)
    {
        app.UseRequestIds();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseProblemStatusPages();
        app.UseBodyLimit(app.Configuration.GetValue<long?>("Api:MaxRequestBodyBytes") ?? new ApiOptions().MaxRequestBodyBytes);
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    public static void MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "docs";
            ui.DocumentTitle = "CODITECT API";
            ui.SwaggerEndpoint("/openapi/v1.json", "CODITECT API v1");
        });
    }
}
