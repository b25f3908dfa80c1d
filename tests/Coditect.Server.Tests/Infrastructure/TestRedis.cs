namespace Coditect.Server.Tests.Infrastructure;

/// <summary>The Redis server that scripts/test.sh starts. Each fixture gets a database index of its own.</summary>
public static class TestRedis
{
    public const string Variable = "CODITECT_TEST_REDIS";
    private static int _next;

    public static string Endpoint =>
        Environment.GetEnvironmentVariable(Variable)
        ?? throw new InvalidOperationException($"{Variable} is not set. Run the suite with scripts/test.sh, which starts Redis and sets it.");

    /// <summary>A connection string on a database index no other fixture of this run uses (Redis has 16).</summary>
    public static (string ConnectionString, int Database) NextDatabase()
    {
        var database = 1 + (Interlocked.Increment(ref _next) % 15);
        return ($"{Endpoint},defaultDatabase={database},allowAdmin=true", database);
    }
}

/// <summary>PostgreSQL as the record, Redis as the lease cache (the scale-out mode).</summary>
public sealed class RedisApp : CoditectApp
{
    private readonly (string ConnectionString, int Database) _redis = TestRedis.NextDatabase();

    public override Coditect.Server.Data.DatabaseProvider Provider => Coditect.Server.Data.DatabaseProvider.Postgres;

    public string RedisConnectionString => _redis.ConnectionString;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("ConnectionStrings:Redis", _redis.ConnectionString)];
}
