using Coditect.Server.Data;

namespace Coditect.Server.Platform;

/// <summary>
/// What this node runs on, read from configuration once, while the host is built, and registered as a singleton:
/// the database provider and whether Redis is in use. Every feature that wires itself differently per topology asks
/// <see cref="Of"/> instead of reading the settings again.
/// </summary>
public sealed record Topology(DatabaseProvider Database, string? RedisConnectionString)
{
    public bool UsesRedis => RedisConnectionString is not null;

    public static Topology Of(WebApplicationBuilder builder)
    {
        if (builder.Host.Properties.TryGetValue(typeof(Topology), out var known))
        {
            return (Topology)known;
        }

        var provider = builder.Configuration.GetValue<DatabaseProvider?>($"{DatabaseOptions.Section}:{nameof(DatabaseOptions.Provider)}")
            ?? DatabaseProvider.Sqlite;
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(redis))
        {
            redis = null;
        }
        else if (provider != DatabaseProvider.Postgres)
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Redis needs Database:Provider=Postgres: the Redis ledger keeps PostgreSQL as the record of every session.");
        }

        var topology = new Topology(provider, redis);
        builder.Host.Properties[typeof(Topology)] = topology;
        builder.Services.AddSingleton(topology);
        return topology;
    }
}
