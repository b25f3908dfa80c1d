using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;

namespace Coditect.Server.Licensing.Live;

public static class LiveExtensions
{
    /// <summary>
    /// The licence page's live view: the per-licence signal (<see cref="LicenseWatch"/>), the stream cap, and the
    /// changes that reach every node through the outbox anyway (licence changes, kicks), passed to this node's watchers.
    /// </summary>
    public static IServiceCollection AddLicenseLive(this IServiceCollection services)
    {
        services.AddOptions<LiveOptions>().BindConfiguration(LiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddClusterSignal();
        services.AddSingleton<LicenseWatch>();
        services.AddHostedService(provider => provider.GetRequiredService<LicenseWatch>());
        services.AddSingleton<LiveStreams>();
        services.AddOutboxSubscription("licensing.live", Delivery.EveryNode,
            type => type is LicensingEvents.Updated or LicensingEvents.Suspended or LicensingEvents.Reinstated or LicensingEvents.Renewed
                or LicensingEvents.Deleted or LicensingEvents.SessionKicked,
            (message, scope, _) =>
            {
                var licenseId = message.Type == LicensingEvents.SessionKicked ? message.Data.GetProperty("license_id").GetGuid() : message.ObjectId;
                scope.GetRequiredService<LicenseWatch>().NotifyWatchers(licenseId);
                return Task.CompletedTask;
            });
        return services;
    }
}
