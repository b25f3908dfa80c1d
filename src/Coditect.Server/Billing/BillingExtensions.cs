using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Billing;

public static class BillingExtensions
{
    /// <summary>Plans and their limits, the quota checks and their counters, subscriptions.</summary>
    public static WebApplicationBuilder AddBilling(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BillingOptions>().BindConfiguration(BillingOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Provider == BillingProvider.Manual || (!string.IsNullOrEmpty(o.Stripe.WebhookSecret) && !string.IsNullOrEmpty(o.Stripe.SecretKey)),
                "Billing:Provider Stripe needs Billing:Stripe:SecretKey and Billing:Stripe:WebhookSecret.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PlanCatalog>();
        builder.Services.AddScoped<Quotas>();
        builder.Services.AddScoped<Subscriptions>();
        builder.Services.AddScoped<Stripe.StripeWebhook>();
        builder.Services.AddScoped<Stripe.StripeCheckout>();
        builder.Services.AddHttpClient(Stripe.StripeCheckout.HttpClientName);
        builder.Services.AddSingleton<BillingGrace>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BillingGrace>());
        builder.Services.AddSingleton<Metering.UsageMeter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Metering.UsageMeter>());
        builder.Services.AddScoped<Metering.MeterReporter>();
        builder.Services.AddSingleton<PlanCache>();
        builder.Services.AddSingleton<MemoryHourlyCounter>();
        if (Topology.Of(builder).UsesRedis)
        {
            builder.Services.AddSingleton<IHourlyCounter, RedisHourlyCounter>();
        }
        else
        {
            builder.Services.AddSingleton<IHourlyCounter>(services => services.GetRequiredService<MemoryHourlyCounter>());
        }

        // Members count pending invitations too: an invitation is a seat promised.
        builder.Services.AddSingleton(new QuotaCounter(Quota.Members, async (db, now, ct) =>
            await db.Set<Membership>().LongCountAsync(ct)
            + await db.Set<Invitation>().LongCountAsync(i => i.AcceptedAt == null && i.ExpiresAt > now, ct)));
        builder.Services.AddSingleton(new QuotaCounter(Quota.Licenses, (db, _, ct) =>
            db.Set<License>().LongCountAsync(l => l.ManagedBy == null, ct)));
        builder.Services.AddSingleton(new QuotaCounter(Quota.Projects, (db, _, ct) => db.Set<Project>().LongCountAsync(ct)));
        return builder;
    }

    /// <summary>The billing API: usage and billing under <c>/orgs/{org}</c>, staff's plan control under <c>/staff</c>.</summary>
    public static void MapBilling(this RouteGroupBuilder api, RouteGroupBuilder org)
    {
        org.RequireRequestQuota();
        org.MapBillingEndpoints();
        api.MapStaffBilling();
        api.MapStripeWebhook();
    }
}
