using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Coditect.Server.Data;

public static class DataExtensions
{
    /// <summary>
    /// Registers the DbContext on the configured provider. With no configuration at all the server uses a SQLite file
    /// under <c>data/</c> beside the content root.
    /// </summary>
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var connectionString = builder.Configuration.GetConnectionString("Database");

        builder.Services.AddSingleton(new DatabaseLocation(options.Provider, Describe(options.Provider, ref connectionString, builder.Environment)));

        if (options.Provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("Database:Provider is Postgres but ConnectionStrings:Database is not set.");
            }

            // The name labels Npgsql's pool metrics (db.client.connection.*) instead of the connection string.
            var dataSource = new NpgsqlDataSourceBuilder(WithDefaults(connectionString)) { Name = "coditect" }.Build();
            builder.Services.AddSingleton(dataSource);
            builder.Services.AddDbContext<CoditectDbContext>((services, db) => db
                    .UseNpgsql(dataSource, npgsql => npgsql.EnableRetryOnFailure(0))
                    .AddInterceptors(services.GetServices<IInterceptor>()),
                optionsLifetime: ServiceLifetime.Singleton);
        }
        else
        {
            // Options built once, not per request scope (they depend on nothing scoped).
            builder.Services.AddDbContext<CoditectDbContext>((services, db) => db
                    .UseSqlite(connectionString)
                    .AddInterceptors(services.GetServices<IInterceptor>())
                    .AddInterceptors(ReadOnlyWriteGuard.Instance, SqliteConnectionSettings.Instance),
                optionsLifetime: ServiceLifetime.Singleton);
        }

        builder.Services.AddScoped<SchemaMigrator>();
        builder.Services.AddHostedService<MigrationStartup>(); // registered before every other feature's start-up work
        return builder;
    }

    /// <summary>
    /// Npgsql settings the server wants unless the connection string says otherwise: statements run more than a few
    /// times are prepared (<c>Max Auto Prepare</c>), so PostgreSQL plans each protocol batch once per connection instead
    /// of once per call. Safe with row-level security: tenant and key settings are transaction-local, read at execution.
    /// Idle connections are kept an hour (<c>Connection Idle Lifetime</c>; Npgsql's default is 5 minutes): on a loaded
    /// node, the pruning of a burst's connections was followed by a burst of new ones, each a new PostgreSQL backend
    /// that loads its catalogs and prepares its statements again, and that stalled the node for seconds every five
    /// minutes (docs/performance.md, "The stalls").
    /// </summary>
    internal static string WithDefaults(string connectionString)
    {
        DbConnectionStringBuilder given;
        NpgsqlConnectionStringBuilder csb;
        try
        {
            given = new DbConnectionStringBuilder { ConnectionString = connectionString };
            csb = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"ConnectionStrings:Database is not a valid PostgreSQL connection string: {e.Message}", e);
        }

        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            csb.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!given.ContainsKey("Connection Idle Lifetime") && !given.ContainsKey("ConnectionIdleLifetime"))
        {
            csb.ConnectionIdleLifetime = DefaultConnectionIdleLifetimeSeconds;
        }

        return csb.ConnectionString;
    }

    /// <summary>More than the distinct statements the server runs often (the lease protocol's batches, the sweeper).</summary>
    internal const int DefaultMaxAutoPrepare = 100;

    /// <summary>How long an idle pooled connection is kept, in seconds.</summary>
    internal const int DefaultConnectionIdleLifetimeSeconds = 3600;

    private static string Describe(DatabaseProvider provider, ref string? connectionString, IWebHostEnvironment environment)
    {
        if (provider == DatabaseProvider.Postgres)
        {
            var csb = new NpgsqlConnectionStringBuilder(connectionString);
            return $"PostgreSQL database '{csb.Database}' on {csb.Host}:{csb.Port} as '{csb.Username}'";
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var folder = Path.Combine(environment.ContentRootPath, "data");
            Directory.CreateDirectory(folder);
            connectionString = $"Data Source={Path.Combine(folder, "coditect.db")}";
        }

        var sqlite = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 30 };
        connectionString = sqlite.ToString();
        return $"SQLite file {Path.GetFullPath(sqlite.DataSource)}";
    }
}

/// <summary>Where the data lives, in words safe to log (never a password).</summary>
public sealed record DatabaseLocation(DatabaseProvider Provider, string Description);
