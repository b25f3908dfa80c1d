using System.ComponentModel.DataAnnotations;

namespace Coditect.Server.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary><c>Database:*</c> settings. The connection string itself is <c>ConnectionStrings:Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    [EnumDataType(typeof(DatabaseProvider))]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations when the server starts (turn off when a separate <c>migrate</c> step runs them).</summary>
    public bool MigrateOnStart { get; set; } = true;
}
