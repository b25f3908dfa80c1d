using Coditect.Server.Data;
using Npgsql;

namespace Coditect.Server.Tests.Data;

/// <summary>The Npgsql settings the server adds to a PostgreSQL connection string, and leaves alone when given.</summary>
public sealed class ConnectionDefaultsTests
{
    [Fact]
    public void Statements_are_prepared_unless_the_connection_string_says_otherwise()
    {
        var plain = new NpgsqlConnectionStringBuilder(DataExtensions.WithDefaults("Host=db;Database=coditect;Username=coditect;Password=p"));
        plain.MaxAutoPrepare.ShouldBe(DataExtensions.DefaultMaxAutoPrepare);
        plain.Password.ShouldBe("p");
        plain.Host.ShouldBe("db");

        new NpgsqlConnectionStringBuilder(DataExtensions.WithDefaults("Host=db;Max Auto Prepare=0")).MaxAutoPrepare.ShouldBe(0);
        new NpgsqlConnectionStringBuilder(DataExtensions.WithDefaults("Host=db;maxautoprepare=7")).MaxAutoPrepare.ShouldBe(7);
    }

    [Fact]
    public void Idle_connections_are_kept_an_hour_unless_the_connection_string_says_otherwise()
    {
        new NpgsqlConnectionStringBuilder(DataExtensions.WithDefaults("Host=db")).ConnectionIdleLifetime
            .ShouldBe(DataExtensions.DefaultConnectionIdleLifetimeSeconds);
        new NpgsqlConnectionStringBuilder(DataExtensions.WithDefaults("Host=db;Connection Idle Lifetime=60")).ConnectionIdleLifetime.ShouldBe(60);
        new NpgsqlConnectionStringBuilder(DataExtensions.WithDefaults("Host=db;connectionidlelifetime=30")).ConnectionIdleLifetime.ShouldBe(30);
    }

    [Fact]
    public void A_malformed_connection_string_stops_the_server_with_the_setting_named()
    {
        Should.Throw<InvalidOperationException>(() => DataExtensions.WithDefaults("Host=db;Max Auto Prepare=abc"))
            .Message.ShouldStartWith("ConnectionStrings:Database is not a valid PostgreSQL connection string");
        Should.Throw<InvalidOperationException>(() => DataExtensions.WithDefaults("Host=db;Nonsense=1"))
            .Message.ShouldStartWith("ConnectionStrings:Database is not a valid PostgreSQL connection string");
    }
}
