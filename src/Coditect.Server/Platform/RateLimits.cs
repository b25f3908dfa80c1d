using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Coditect.Contracts.Common;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Platform;

/// <summary><c>RateLimits:*</c> settings: fixed one-minute windows.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Sign-up, login, refresh and logout per client address.</summary>
    [Range(1, 1_000_000)]
    public int SignInPerMinute { get; set; } = 20;

    /// <summary>Authenticated API calls per user or API key.</summary>
    [Range(1, 10_000_000)]
    public int ApiPerMinute { get; set; } = 1200;
}

/// <summary>
/// Per-node limits (in memory). Across several nodes each node counts alone until the Redis-backed limiter of the
/// scale-out work replaces this.
/// </summary>
public static class RateLimits
{
    public const string SignInPolicy = "sign-in";

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(SignInPolicy, http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(
                    "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
                    _ => Window(limits.SignInPerMinute));
            });

            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var tenant = http.RequestServices.GetRequiredService<TenantContext>();
                var caller = tenant.ApiKeyId is { } key ? "key:" + key : tenant.UserId is { } user ? "user:" + user : null;
                if (caller is null)
                {
                    return RateLimitPartition.GetNoLimiter("anonymous");
                }

                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(caller, _ => Window(limits.ApiPerMinute));
            });

            limiter.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.Of(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.",
                    $"Retry after {seconds} seconds.", new Dictionary<string, object?> { ["retry_after_seconds"] = seconds })
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }

    private static FixedWindowRateLimiterOptions Window(int permits) => new()
    {
        PermitLimit = permits,
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
