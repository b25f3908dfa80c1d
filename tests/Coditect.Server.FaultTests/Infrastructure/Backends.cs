[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>
/// The PostgreSQL and Redis servers the fault tests own, started once for the collection and stopped at its end (also
/// when the test host exits early). Tests run one at a time: they stop and restart these servers.
/// </summary>
public sealed class Backends : IAsyncLifetime
{
    private PrivatePostgres? _postgres;
    private PrivateRedis? _redis;

    public PrivatePostgres Postgres => _postgres ?? throw new InvalidOperationException("not started");

    public PrivateRedis Redis => _redis ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAsync().GetAwaiter().GetResult();
        var postgres = PrivatePostgres.StartAsync();
        var redis = PrivateRedis.StartAsync();
        try
        {
            await Task.WhenAll(postgres, redis);
        }
        finally
        {
            _postgres = postgres.IsCompletedSuccessfully ? postgres.Result : null;
            _redis = redis.IsCompletedSuccessfully ? redis.Result : null;
        }
    }

    /// <summary>Both servers up and Redis empty, whatever the previous test left behind.</summary>
    public async Task ResetAsync()
    {
        if (!Postgres.IsRunning)
        {
            await Postgres.StartServerAsync();
        }

        if (!await Redis.PingAsync())
        {
            await Redis.StartServerAsync();
        }

        await Redis.CliAsync("flushall");
    }

    public async Task DisposeAsync()
    {
        if (_postgres is { } postgres)
        {
            await postgres.DisposeAsync();
        }

        if (_redis is { } redis)
        {
            await redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FaultsCollection : ICollectionFixture<Backends>
{
    public const string Name = "faults";
}
